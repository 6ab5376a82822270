// What Conv (and the integer GEMM) applies to each part of its output while that part is still in
// cache, in place of the element-wise nodes that follow it: the executor fuses Conv -> Add (of a
// tensor of the output's shape), Conv [-> Add] -> Relu / Clip / HardSwish / x * HardSigmoid(x)
// and Conv -> one of those activations -> Add.
// Results are the same as running those nodes: the element functions below are the ones the ops
// use. Quantized layers put their scaling by s_a * s_w in front of it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/quant/uniform_quantizer.h"

namespace resq {

// A quantized layer's output from its sum of levels: acc * (s_a * s_w) + bias (or z_k), one
// fused multiply-add, used by the integer kernels and the float path alike so that equal sums
// give equal outputs.
inline float scale_affine(float acc, float multiplier, float addend) {
  return std::fma(acc, multiplier, addend);
}

inline float relu(float x) { return std::max(x, 0.0f); }
// ONNX applies min then max: with lo > hi every output is hi.
inline float clip(float x, float lo, float hi) { return std::min(std::max(x, lo), hi); }
inline float hard_swish(float x) { return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f); }
inline float hard_sigmoid(float x, float alpha, float beta) {
  return std::clamp(alpha * x + beta, 0.0f, 1.0f);
}

struct Epilogue {
  // kTimesHardSigmoid: x * HardSigmoid(x), HardSwish as ONNX exporters write it.
  enum class Activation { kNone, kRelu, kClip, kHardSwish, kTimesHardSigmoid };

  // A quantized layer's input: the op sums the levels of its input 0 under this grid instead of
  // the values, mapping them as it reads them where it can (depthwise Conv); others map a copy
  // first (Op::run_fused), no cheaper than the caller's own levels pass.
  const LevelGrid* input_grid = nullptr;
  // Quantized layers whose op summed integer levels: first y = scale_affine(y, multiplier[c],
  // base[index] or bias[c] or 0), c = (index / plane) % channels the output channel.
  const float* multiplier = nullptr;
  const float* bias = nullptr;
  const float* base = nullptr;
  int64_t plane = 1, channels = 1;
  float* keep = nullptr;  // receives y after the rescale, before the addend (a keyframe's z_k)

  const float* addend = nullptr;  // added next, element by element (index = output index)
  Activation activation = Activation::kNone;
  bool add_after_activation = false;  // Conv -> activation -> Add: the addend comes last
  float lo = 0, hi = 0;        // kClip bounds
  float alpha = 0, beta = 0;   // kTimesHardSigmoid parameters

  bool empty() const {
    return multiplier == nullptr && keep == nullptr && addend == nullptr &&
           activation == Activation::kNone;
  }
  // Applies the epilogue to y[0, n), elements offset .. offset + n of the output.
  void apply(float* y, int64_t offset, int64_t n) const;
};

}  // namespace resq
