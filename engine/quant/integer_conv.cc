#include "engine/quant/integer_conv.h"

#include <algorithm>
#include <stdexcept>

namespace resq {

std::optional<IntegerConv> IntegerConv::make(const Node& node, const Shape& x_shape,
                                             const Tensor& weight_levels) {
  const bool transposed = node.op_type == "ConvTranspose";
  if ((node.op_type != "Conv" && !transposed) || node.attrs.get_int("group", 1) != 1)
    return std::nullopt;
  const Shape& ws = weight_levels.shape();
  const Shape kernel(ws.begin() + 2, ws.end());
  const Shape spatial(x_shape.begin() + 2, x_shape.end());
  const WindowAttrs attrs = parse_window_attrs(node.attrs);
  const int64_t taps = shape_numel(kernel);
  if (!transposed) {
    const int64_t m = ws[0], k = ws[1] * taps;
    return IntegerConv(forward_window(attrs, spatial, kernel), false, x_shape[0], x_shape[1],
                       PackedLevels(weight_levels.f32(), m, k));
  }
  // Columns [M * taps, P_in] = W^T X, W stored [C, M * taps].
  const int64_t c = ws[0], rows = ws[1] * taps;
  std::vector<float> wt(static_cast<size_t>(rows * c));
  const float* w = weight_levels.f32();
  for (int64_t i = 0; i < c; ++i)
    for (int64_t r = 0; r < rows; ++r) wt[static_cast<size_t>(r * c + i)] = w[i * rows + r];
  Window window = transposed_window(attrs, spatial, kernel, node.attrs.get_ints("output_padding", {}),
                                    node.attrs.get_ints("output_shape", {}));
  return IntegerConv(std::move(window), true, x_shape[0], x_shape[1],
                     PackedLevels(wt.data(), rows, c));
}

void IntegerConv::run_transposed(const float* x, float* out, IntegerConvScratch& s,
                                 const Epilogue* ep, const LevelGrid* grid) const {
  const Window& w = window_;
  const int64_t rows = weights_.rows(), m = rows / w.kernel_size();
  const int64_t p_in = w.out_size(), p_out = w.in_size();
  s.columns.resize(static_cast<size_t>(rows * p_in));
  std::fill(out, out + n_ * m * p_out, 0.0f);
  for (int64_t b = 0; b < n_; ++b) {
    int_gemm(weights_, x + b * c_ * p_in, p_in, p_in, s.columns.data(), p_in, s.gemm, nullptr, 0,
             LevelMap{grid});
    col2im(w, m, s.columns.data(), out + b * m * p_out);
  }
  // Overlapping taps add up in col2im: the epilogue can only follow it.
  if (ep) ep->apply(out, 0, n_ * m * p_out);
}

void IntegerConv::run(const Tensor& x_levels, Tensor& acc, IntegerConvScratch& s,
                      const Epilogue* ep, const LevelMap& input) const {
  if (input.minus && !maps_differences())
    throw std::logic_error("IntegerConv::run: only a 1x1 stride-1 conv maps x - minus itself");
  const Window& w = window_;
  const int64_t m = weights_.rows() / (transposed_ ? w.kernel_size() : 1);
  Shape y = {n_, m};
  y.insert(y.end(), transposed_ ? w.in.begin() : w.out.begin(), transposed_ ? w.in.end() : w.out.end());
  acc.resize(y);
  const float* x = x_levels.f32();
  float* out = acc.f32();
  if (transposed_) return run_transposed(x, out, s, ep, input.grid);
  const int64_t P = w.out_size(), I = w.in_size(), K = depth();
  if (w.is_pointwise()) {
    for (int64_t b = 0; b < n_; ++b)
      int_gemm(weights_, x + b * c_ * I, I, P, out + b * m * P, P, s.gemm, ep, b * m * P,
               input.at(b * c_ * I));
    return;
  }
  // Tiles of output rows (first spatial dim), as the float Conv does, so columns stay in cache.
  const int64_t row = P / w.out[0];
  const int64_t tile_rows = std::clamp<int64_t>(tile_floats() / (K * row), 1, w.out[0]);
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
               b * m * P + r0 * row, input);
    }
}

void IntegerConv::run_columns(const float* columns, int64_t n, float* acc,
                              IntGemmScratch& scratch) const {
  if (transposed_) throw std::logic_error("IntegerConv::run_columns: a ConvTranspose has no im2col columns");
  int_gemm(weights_, columns, n, n, acc, n, scratch);
}

}  // namespace resq
