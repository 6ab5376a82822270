// Calibration files: what `resq calibrate` writes and every later session of the model loads.
// JSON: format_version, the model's identity (file, format, linear layers, their MACs, weights
// fingerprint), the recipe (samples, search points, max distance, weight granularity, clip and
// frame range) and per linear layer its node name and clips by bit-width.
#pragma once

#include <string>

#include "engine/graph.h"
#include "engine/resq/calibration.h"

namespace resq {

// Throws ModelError naming the file when it cannot be written.
void save_calibration(const std::string& path, const Calibration& c);

// Throws ModelError naming the file when it is missing or not JSON, when a field is missing
// (naming it) or has a bad value (naming field and value), and when it was made for another
// model than `g` (naming what differs: layer count, a layer name or the weights fingerprint,
// with both sides).
Calibration load_calibration(const std::string& path, const Graph& g);

}  // namespace resq
