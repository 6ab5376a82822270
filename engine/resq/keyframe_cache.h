// Per-stream ResQ state (Eq. 4-5): for every linear layer, the keyframe's input x_k and its
// quantized output z_k, kept until the next keyframe. Owned by one stream session; the model it
// refers to is shared and immutable.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace resq {

class KeyframeCache {
 public:
  struct Layer {
    Tensor x_k;  // keyframe input (float, as the layer saw it), unless x_k_from_previous
    Tensor z_k;  // keyframe output q(x_k) * q(w) + bias
    // x_k is not kept: it is the previous linear layer's z_k through that layer's fused
    // activation (StreamSession::set_keyframe_inputs_from_outputs).
    bool x_k_from_previous = false;
  };

  explicit KeyframeCache(size_t linear_layers) : layers_(linear_layers) {}

  Layer& layer(size_t linear_index) { return layers_.at(linear_index); }
  const Layer& layer(size_t linear_index) const { return layers_.at(linear_index); }
  size_t size() const { return layers_.size(); }

  // The keyframe's model outputs (frame skipping repeats them; the layers stay empty).
  const std::vector<Tensor>& outputs() const { return outputs_; }
  void set_outputs(std::vector<Tensor> outputs) { outputs_ = std::move(outputs); }

  // True once a keyframe has filled every layer.
  bool ready() const { return ready_; }
  void mark_ready() { ready_ = true; }
  void clear();

  // Bytes held by x_k and z_k over all layers and the kept outputs (the memory cost the paper names as a limitation).
  size_t bytes() const;

 private:
  std::vector<Layer> layers_;
  std::vector<Tensor> outputs_;
  bool ready_ = false;
};

}  // namespace resq
