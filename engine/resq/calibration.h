// Calibrated activation ranges of a model's linear layers (Sec. 4.1): for every layer and every
// bit-width, one clip for keyframe (frame) inputs and one for residual inputs, so that bit-widths
// and pools can change live without recalibrating.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace resq {

struct LayerCalibration {
  std::string node;                     // node name: ties the entry to the model
  std::map<int, double> key_clip;       // bits -> clip of keyframe activations, Phi_a
  std::map<int, double> residual_clip;  // bits -> clip of residual activations, Theta_a
};

struct Calibration {
  std::vector<LayerCalibration> layers;  // one per linear layer, in execution order
};

}  // namespace resq
