// What Conv applies to each part of its output while that part is still in cache, in place of
// the element-wise nodes that follow it: the executor fuses Conv -> Add (of a tensor of the
// output's shape) and Conv [-> Add] -> Relu / Clip / HardSwish / x * HardSigmoid(x). Results are
// the same as running those nodes: the element functions below are the ones the ops use.
#pragma once

#include <algorithm>
#include <cstdint>

namespace resq {

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

  const float* addend = nullptr;  // added first, element by element (index = output index)
  Activation activation = Activation::kNone;
  float lo = 0, hi = 0;        // kClip bounds
  float alpha = 0, beta = 0;   // kTimesHardSigmoid parameters

  bool empty() const { return addend == nullptr && activation == Activation::kNone; }
  // Applies the epilogue to y[0, n), elements offset .. offset + n of the output.
  void apply(float* y, int64_t offset, int64_t n) const;
};

}  // namespace resq
