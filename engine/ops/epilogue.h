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
#include <type_traits>

#include "engine/quant/uniform_quantizer.h"

namespace resq {

// A quantized layer's output from its sum of levels: acc * (s_a * s_w) + bias (or z_k), one
// fused multiply-add, used by the integer kernels and the float path alike so that equal sums
// give equal outputs.
inline float scale_affine(float acc, float multiplier, float addend) {
  return std::fma(acc, multiplier, addend);
}

// relu, clip and hard_swish take a float or a vector of floats (GCC vector extension; the GEMM
// applies them to its registers): the same comparisons and arithmetic either way, those of
// std::max, std::min and std::clamp, so that fused and unfused outputs agree bit for bit.
template <class T>
inline T splat(float v) {
  if constexpr (std::is_same_v<T, float>)
    return v;
  else
    return T{} + v;
}
// v, rounded: keeps GCC from contracting the product that made v and an addition after it into
// one FMA (one rounding, where separate nodes round twice), which it does in some loops and not
// in others. An empty asm that v must pass through in a register.
template <class T>
inline T rounded(T v) {
#if defined(__AVX512F__)
  asm("" : "+v"(v));
#elif defined(__SSE__)
  asm("" : "+x"(v));
#endif
  return v;
}
template <class T>
inline T relu(T x) {
  return x < splat<T>(0.0f) ? splat<T>(0.0f) : x;
}
// ONNX applies min then max: with lo > hi every output is hi.
template <class T>
inline T clip(T x, float lo, float hi) {
  const T at_least_lo = x < splat<T>(lo) ? splat<T>(lo) : x;
  return splat<T>(hi) < at_least_lo ? splat<T>(hi) : at_least_lo;
}
template <class T>
inline T hard_swish(T x) {
  const T s = x / splat<T>(6.0f) + splat<T>(0.5f);
  return x * (s < splat<T>(0.0f) ? splat<T>(0.0f) : splat<T>(1.0f) < s ? splat<T>(1.0f) : s);
}
inline float hard_sigmoid(float x, float alpha, float beta) {
  return std::clamp(alpha * x + beta, 0.0f, 1.0f);
}

struct Epilogue {
  // kTimesHardSigmoid: x * HardSigmoid(x), HardSwish as ONNX exporters write it.
  enum class Activation { kNone, kRelu, kClip, kHardSwish, kTimesHardSigmoid };

  // A quantized layer's input: with a grid, the op sums the levels of its input 0 (or, with
  // `minus`, of the residual input 0 - minus) instead of the values, mapping them as it reads them
  // where it can (conv_maps_levels_as_it_reads); others map a copy first (Op::run_fused), no
  // cheaper than the caller's own levels pass.
  LevelMap input = {};  // "= {}": designated initialisers that omit it do not warn
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

  // Only an addend and an activation other than kTimesHardSigmoid: what the float GEMM applies
  // to its registers as it stores them (conv_gemm).
  bool gemm_fusable() const {
    return input.grid == nullptr && multiplier == nullptr && keep == nullptr &&
           activation != Activation::kTimesHardSigmoid;
  }
  bool empty() const {
    return multiplier == nullptr && keep == nullptr && addend == nullptr &&
           activation == Activation::kNone;
  }
  // Applies the epilogue to y[0, n), elements offset .. offset + n of the output.
  void apply(float* y, int64_t offset, int64_t n) const;
};

}  // namespace resq
