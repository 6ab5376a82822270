// Calibrated activation ranges of a model's linear layers (Sec. 4.1): for every layer and every
// bit-width, one clip for keyframe (frame) inputs and one for residual inputs, so that bit-widths
// and pools can change live without recalibrating.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/quant/weight_quantizer.h"

namespace resq {

struct LayerCalibration {
  std::string node;                     // node name: ties the entry to the model
  std::map<int, double> key_clip;       // bits -> clip of keyframe activations, Phi_a
  std::map<int, double> residual_clip;  // bits -> clip of residual activations, Theta_a
};

// The model a calibration was made for, as people read it (the fingerprint decides).
struct ModelIdentity {
  std::string file;           // model file name, without directories
  std::string format;         // "tflite" or "onnx"
  int64_t linear_layers = 0;  // as Executor::linear_nodes()
  int64_t linear_macs = 0;    // MACs of those layers at the load-time shapes
};

// How the calibration was made, so that it can be reproduced.
struct CalibrationRecipe {
  int samples = 0;        // c
  int search_points = 0;  // r
  int max_distance = 0;   // residuals at keyframe distances 1..max_distance
  WeightGranularity weights = WeightGranularity::kPerChannel;
  std::string clip;         // calibration clip file name
  int64_t start_frame = 0;  // first frame used
  int64_t frames = 0;       // consecutive frames used from start_frame
};

struct Calibration {
  uint64_t model_fingerprint = 0;  // model_fingerprint() of the calibrated graph
  ModelIdentity model;
  CalibrationRecipe recipe;
  std::vector<LayerCalibration> layers;  // one per linear layer, in execution order
};

// FNV-1a 64 over the linear layers' names, weight shapes and weight bytes: a calibration made
// for another model (or another version of it) does not match. Throws ModelError as Executor.
uint64_t model_fingerprint(const Graph& g);
// Both throw ModelError as Executor.
ModelIdentity model_identity(const Graph& g);
std::vector<std::string> linear_layer_names(const Graph& g);
// A calibration of `g` without any activation range: enough for fp32, fp32->skip and
// 16/32-bit configurations (a StreamSession rejects anything else, naming the missing range).
Calibration uncalibrated(const Graph& g);

}  // namespace resq
