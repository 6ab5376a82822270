// Conv and ConvTranspose on quantization levels in integer arithmetic: the integer kernel behind
// quantized keyframes and residuals. It computes the accumulators sum(levels(x) * levels(w)) of
// a group-1 Conv (any spatial rank; 1x1 convs straight from the input planes, others via im2col)
// or ConvTranspose (columns W^T * X, then col2im) with int_gemm, i.e. what the op computes on the
// same level tensors without bias, and bit-exact with it whenever float_sums_exact(depth(),
// a_bits, w_bits) (int_gemm.h). Depthwise and grouped convs have no integer kernel here: the
// float op on levels computes their exact sums.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/capacity_bytes.h"
#include "engine/graph.h"
#include "engine/ops/window.h"
#include "engine/quant/int_gemm.h"
#include "engine/tensor.h"

namespace resq {

// Per caller (stream) buffers.
struct IntegerConvScratch {
  std::vector<float> columns;
  IntGemmScratch gemm;
  size_t bytes() const { return capacity_bytes(columns) + capacity_bytes(gemm.packed_b); }
};

class IntegerConv {
 public:
  // std::nullopt unless `node` is a Conv or ConvTranspose with group 1. `x_shape` is the
  // layer's static input shape, `weight_levels` the weight's levels (Conv W [M, C, k...],
  // ConvTranspose W [C, M, k...]). Throws what PackedLevels throws for values that are not
  // levels.
  static std::optional<IntegerConv> make(const Node& node, const Shape& x_shape,
                                         const Tensor& weight_levels);

  // Products summed into one output, at most: C * kernel taps (for ConvTranspose a bound: the
  // taps of the input pixels that land on one output).
  int64_t depth() const { return c_ * window_.kernel_size(); }
  // Conv only: acc [M, n] = W * columns for im2col columns [C * taps, n] of n output positions
  // (levels): the sums of just those outputs.
  void run_columns(const float* columns, int64_t n, float* acc, IntGemmScratch& scratch) const;
  // acc [N, M, out...] = Conv(x_levels, weight levels), no bias. x_levels has the static input
  // shape and holds levels of an activation quantizer of at most 8 bits, or with input.grid,
  // values that are mapped to its levels as they are packed; with input.minus too (a tensor of
  // the same shape, only where maps_differences()), the values x - minus (a residual x_t - x_k).
  // With an epilogue (indexed like acc; plane = output positions, channels = M), acc holds its
  // result. Throws std::logic_error for a `minus` the kernel cannot take.
  void run(const Tensor& x_levels, Tensor& acc, IntegerConvScratch& scratch,
           const Epilogue* epilogue = nullptr, const LevelMap& input = {}) const;
  // Whether run() maps x - minus itself: 1x1 stride-1 convs, whose B is the input itself.
  bool maps_differences() const { return !transposed_ && window_.is_pointwise(); }

 private:
  IntegerConv(Window window, bool transposed, int64_t n, int64_t c, PackedLevels weights)
      : window_(std::move(window)), transposed_(transposed), n_(n), c_(c), weights_(std::move(weights)) {}
  void run_transposed(const float* x, float* out, IntegerConvScratch& scratch, const Epilogue* ep,
                      const LevelGrid* grid) const;

  Window window_;    // for ConvTranspose, `in` is the output's spatial shape (window.h)
  bool transposed_;  // ConvTranspose: weights_ holds W^T [M * taps, C]
  int64_t n_, c_;
  PackedLevels weights_;
};

}  // namespace resq
