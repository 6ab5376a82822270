// Loading a model file of either format into the IR, with load-time graph passes applied.
#pragma once

#include <memory>
#include <string>

#include "engine/graph.h"

namespace resq {

// Detects the format from the content (TFLite's "TFL3" identifier, else ONNX protobuf).
// Throws ModelError naming the file and the reason (missing, truncated, wrong magic, ...).
std::shared_ptr<Graph> load_model(const std::string& path);

}  // namespace resq
