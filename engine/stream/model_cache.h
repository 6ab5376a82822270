// One loaded model per (model file, calibration file) in the process: every stream (resqinfer
// elements in any pipeline, resq-server streams) asking for the same pair gets the same
// immutable model, loaded once and freed when the last stream lets go.
#pragma once

#include <memory>
#include <string>

#include "engine/graph.h"
#include "engine/image_tensor.h"
#include "engine/resq/quantized_model.h"

namespace resq {

struct LoadedModel {
  std::string model_path;
  std::string calibration_path;  // empty: uncalibrated (fp32 and fp32->skip only)
  std::shared_ptr<const Graph> graph;
  ImageInput image;
  std::string output_name;  // the graph's first output: the mask
  // Uncalibrated models carry a calibration with no ranges: quantized bit-widths fail
  // StreamSession's config check ("no calibrated keyframe range for 8 bits").
  std::shared_ptr<const QuantizedModel> quantized;
};

// Loads (or returns the already loaded) model. Throws resq::ModelError naming the file and the
// problem: missing or unreadable model, no image input, a calibration that is missing, malformed
// or made for another model. Paths are compared after canonicalisation.
std::shared_ptr<const LoadedModel> acquire_model(const std::string& model_path,
                                                 const std::string& calibration_path);

}  // namespace resq
