#include "engine/quant/integer_conv.h"

#include <algorithm>

namespace resq {
namespace {

// Floats of im2col columns per tile of output rows: about a quarter of a 1 MB L2.
constexpr int64_t kTileFloats = 64 * 1024;

}  // namespace

std::optional<IntegerConv> IntegerConv::make(const Node& node, const Shape& x_shape,
                                             const Tensor& weight_levels) {
  if (node.op_type != "Conv" || node.attrs.get_int("group", 1) != 1) return std::nullopt;
  const Shape& ws = weight_levels.shape();
  const Shape kernel(ws.begin() + 2, ws.end());
  Window w = forward_window(parse_window_attrs(node.attrs), Shape(x_shape.begin() + 2, x_shape.end()),
                            kernel);
  const int64_t m = ws[0], k = ws[1] * shape_numel(kernel);
  return IntegerConv(std::move(w), x_shape[0], x_shape[1], PackedLevels(weight_levels.f32(), m, k));
}

void IntegerConv::run(const Tensor& x_levels, Tensor& acc, IntegerConvScratch& s,
                      const Epilogue* ep, const LevelGrid* grid) const {
  const Window& w = window_;
  const int64_t m = weights_.rows(), P = w.out_size(), I = w.in_size(), K = depth();
  Shape y = {n_, m};
  y.insert(y.end(), w.out.begin(), w.out.end());
  acc.resize(y);
  const float* x = x_levels.f32();
  float* out = acc.f32();
  if (w.is_pointwise()) {
    for (int64_t b = 0; b < n_; ++b)
      int_gemm(weights_, x + b * c_ * I, I, P, out + b * m * P, P, s.gemm, ep, b * m * P, grid);
    return;
  }
  // Tiles of output rows (first spatial dim), as the float Conv does, so columns stay in cache.
  const int64_t row = P / w.out[0];
  const int64_t tile_rows = std::clamp<int64_t>(kTileFloats / (K * row), 1, w.out[0]);
  s.columns.resize(static_cast<size_t>(K * tile_rows * row));
  for (int64_t b = 0; b < n_; ++b)
    for (int64_t r0 = 0; r0 < w.out[0]; r0 += tile_rows) {
      Window tile = w;
      tile.out[0] = std::min(tile_rows, w.out[0] - r0);
      tile.pad_begin[0] -= r0 * w.stride[0];
      const int64_t n = tile.out[0] * row;
      im2col(tile, c_, x + b * c_ * I, s.columns.data());
      // im2col's zero padding is level 0 of any grid.
      int_gemm(weights_, s.columns.data(), n, n, out + b * m * P + r0 * row, P, s.gemm, ep,
               b * m * P + r0 * row, grid);
    }
}

void IntegerConv::run_columns(const float* columns, int64_t n, float* acc,
                              IntGemmScratch& scratch) const {
  int_gemm(weights_, columns, n, n, acc, n, scratch);
}

}  // namespace resq
