#include "engine/ops/conv.h"

#include <algorithm>
#include <string>

#include "engine/error.h"
#include "engine/ops/conv_gemm.h"
#include "engine/ops/window.h"

namespace resq {
namespace {

struct ConvGeometry {
  int64_t n, c, m;  // batch, input channels, output channels
  Window w;
};

// Adds sum_t k[t] * taps[t][x] to y[x] for x < n. T > 0 fixes the tap count at compile time
// so that the taps unroll and the loop over x vectorises with y held in registers.
template <int T>
void accumulate_taps(const float* const* taps, const float* k, int64_t t_count, float* __restrict y,
                     int64_t n) {
  if constexpr (T > 0) {
    for (int64_t x = 0; x < n; ++x) {
      float acc = y[x];
#pragma GCC unroll 25
      for (int t = 0; t < T; ++t) acc += k[t] * taps[t][x];
      y[x] = acc;
    }
  } else {
    for (int64_t t = 0; t < t_count; ++t) {
      const float kv = k[t];
      const float* __restrict src = taps[t];
      for (int64_t x = 0; x < n; ++x) y[x] += kv * src[x];
    }
  }
}

// Depthwise 2-D conv of one input plane x into the output plane y, on phase planes (see
// PhasePlanes): one vectorised pass over the wide output grid per channel.
void depthwise(const Window& w, const float* x, const float* k, float bias, float* y,
               PhasePlanes& planes, std::vector<float>& wide, std::vector<const float*>& taps,
               const LevelGrid* grid) {
  planes.build(w, x, 0.0f, grid);
  const int64_t kh = w.kernel[0], kw = w.kernel[1], n = planes.wide_size();
  taps.resize(static_cast<size_t>(kh * kw));
  for (int64_t ky = 0; ky < kh; ++ky)
    for (int64_t kx = 0; kx < kw; ++kx)
      taps[static_cast<size_t>(ky * kw + kx)] = planes.tap(ky, kx);
  wide.assign(static_cast<size_t>(n), bias);
  switch (kh * kw) {
    case 9:
      accumulate_taps<9>(taps.data(), k, 9, wide.data(), n);
      break;
    case 25:
      accumulate_taps<25>(taps.data(), k, 25, wide.data(), n);
      break;
    default:
      accumulate_taps<0>(taps.data(), k, kh * kw, wide.data(), n);
  }
  planes.narrow(wide.data(), y);
}

// The zero-padded copy of one input plane that depthwise_direct reads: exactly the rows and
// columns the windows cover, so every tap of every output is an in-bounds read. With stride 2
// each padded row is stored as its even columns, then its odd columns (`half` apart), so that
// every tap reads consecutive floats.
struct PaddedPlane {
  int64_t rows = 0, cols = 0, half = 0;
  std::vector<float> buf;
  std::vector<float> row;  // one padded row before the column split

  std::vector<float> wide;  // depthwise_wide's outputs, `cols` per row

  // Sizes the buffers for w and zeroes them: the padding stays zero for every plane copied in.
  // The kernel width past the last row is zero too (depthwise_wide's last wide outputs read it).
  void reset(const Window& w) {
    rows = (w.out[0] - 1) * w.stride[0] + w.kernel[0];
    cols = (w.out[1] - 1) * w.stride[1] + w.kernel[1];
    half = (cols + 1) / 2;
    buf.assign(static_cast<size_t>(rows * cols + w.kernel[1]), 0.0f);
    row.assign(static_cast<size_t>(cols), 0.0f);
  }

  // Copies the part of plane x that the windows see (image pixel (iy, ix) goes to padded
  // (iy + pad_top, ix + pad_left)), as the grid's levels when there is one.
  void copy(const Window& w, const float* x, const LevelGrid* grid) {
    const int64_t top = w.pad_begin[0], left = w.pad_begin[1];
    const int64_t y1 = std::min(w.in[0], rows - top), x1 = std::min(w.in[1], cols - left);
    if (x1 <= 0) return;
    for (int64_t iy = 0; iy < y1; ++iy) {
      float* __restrict d = buf.data() + (iy + top) * cols;
      if (w.stride[1] == 1) {
        copy_or_map(x + iy * w.in[1], x1, d + left, grid);
        continue;
      }
      copy_or_map(x + iy * w.in[1], x1, row.data() + left, grid);
      const float* __restrict r = row.data();
      for (int64_t j = 0; j < cols / 2; ++j) {
        d[j] = r[2 * j];
        d[half + j] = r[2 * j + 1];
      }
      if (cols % 2) d[half - 1] = r[cols - 1];
    }
  }
};

// Depthwise 2-D conv of one plane, kernel KH x KW, stride S (1 or 2) in both dims, no
// dilation, on a padded copy of the plane: each output row is one vectorised loop with every
// tap at a constant offset from one of its rows' (column phase) starts. Cheaper than phase
// planes (fewer copies) and sums the taps in the same order as depthwise().
template <int KH, int KW, int S>
void depthwise_direct(const Window& w, const float* x, const float* k, float bias, float* y,
                      PaddedPlane& plane, const LevelGrid* grid) {
  plane.copy(w, x, grid);
  const int64_t oh = w.out[0], ow = w.out[1];
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* rows[KH][S];  // padded row oy * S + ky, column phase p
    for (int ky = 0; ky < KH; ++ky)
      for (int p = 0; p < S; ++p)
        rows[ky][p] = plane.buf.data() + (oy * S + ky) * plane.cols + p * plane.half;
    float* __restrict out = y + oy * ow;
    for (int64_t ox = 0; ox < ow; ++ox) {
      float acc = bias;
#pragma GCC unroll 25
      for (int t = 0; t < KH * KW; ++t) acc += k[t] * rows[t / KW][t % KW % S][ox + t % KW / S];
      out[ox] = acc;
    }
  }
}

// Stride 1, the padded plane read as one long row: wide output (oy, ox), ox < cols, is at
// oy * cols + ox and its tap (ky, kx) at that index plus ky * cols + kx, so the whole plane is
// one vectorised loop (per-row setup dominated the small planes of the deep layers), and then
// the ow valid outputs of each wide row are copied out. The taps sum as in depthwise_direct.
template <int KH, int KW>
void depthwise_wide(const Window& w, const float* x, const float* k, float bias, float* y,
                    PaddedPlane& plane, const LevelGrid* grid) {
  plane.copy(w, x, grid);
  const int64_t oh = w.out[0], ow = w.out[1], cols = plane.cols, n = oh * cols;
  plane.wide.resize(static_cast<size_t>(n));
  const float* src = plane.buf.data();
  float* __restrict wide = plane.wide.data();
  for (int64_t i = 0; i < n; ++i) {
    float acc = bias;
#pragma GCC unroll 25
    for (int t = 0; t < KH * KW; ++t) acc += k[t] * src[i + t / KW * cols + t % KW];
    wide[i] = acc;
  }
  for (int64_t oy = 0; oy < oh; ++oy)
    std::copy(wide + oy * cols, wide + oy * cols + ow, y + oy * ow);
}

// The padded-plane kernel for w (depthwise_wide or depthwise_direct), or nullptr when there is
// none (dilation, other strides or kernel sizes): those take the phase-plane path.
using DepthwiseKernel = void (*)(const Window&, const float*, const float*, float, float*,
                                 PaddedPlane&, const LevelGrid*);
DepthwiseKernel direct_depthwise_kernel(const Window& w) {
  if (w.dilation[0] != 1 || w.dilation[1] != 1 || w.stride[0] != w.stride[1] ||
      w.kernel[0] != w.kernel[1])
    return nullptr;
  switch (w.kernel[0] * 10 + w.stride[0]) {
    case 31:  // wide rows of 64 or more: the copy out costs more than the rows' setup saves
      return w.out[1] < 64 ? depthwise_wide<3, 3> : depthwise_direct<3, 3, 1>;
    case 32:
      return depthwise_direct<3, 3, 2>;
    case 51:
      return w.out[1] < 64 ? depthwise_wide<5, 5> : depthwise_direct<5, 5, 1>;
    default:  // 5x5 stride 2 measured slower here than on phase planes
      return nullptr;
  }
}

class ConvOp : public Op {
 public:
  explicit ConvOp(const Attributes& attrs)
      : attrs_(parse_window_attrs(attrs)), group_(attrs.get_int("group", 1)) {
    if (group_ < 1 || group_ >= (int64_t{1} << 31))
      throw OpError("attribute 'group' is " + std::to_string(group_) + ", expected >= 1");
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    const ConvGeometry g = geometry(in);
    Shape y = {g.n, g.m};
    y.insert(y.end(), g.w.out.begin(), g.w.out.end());
    return std::vector<TensorMeta>{{DType::kFloat32, y}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    run_fused(in, out, Epilogue{});
  }

  void run_fused(std::span<const Tensor* const> in, std::span<Tensor* const> out,
                 const Epilogue& epilogue) const override {
    const ConvGeometry g = geometry(metas_of(in));
    const Window& w = g.w;
    const int64_t cg = g.c / group_, mg = g.m / group_;
    const int64_t P = w.out_size(), I = w.in_size(), K = w.kernel_size();
    const float* x = in[0]->f32();
    const float* wt = in[1]->f32();
    const float* bias = in.size() > 2 && in[2] ? in[2]->f32() : nullptr;
    float* y = out[0]->f32();

    const bool depthwise_2d = cg == 1 && w.rank() == 2;
    // The depthwise kernels map the input to levels as they copy it; the GEMM path does not.
    if (epilogue.input_grid && !depthwise_2d) return Op::run_fused(in, out, epilogue);
    if (const DepthwiseKernel direct = depthwise_2d ? direct_depthwise_kernel(w) : nullptr) {
      padded_.reset(w);
      for (int64_t b = 0; b < g.n; ++b)
        for (int64_t oc = 0; oc < g.m; ++oc) {
          const int64_t at = (b * g.m + oc) * P;
          direct(w, x + (b * g.c + oc / mg) * I, wt + oc * K, bias ? bias[oc] : 0.0f, y + at,
                 padded_, epilogue.input_grid);
          epilogue.apply(y + at, at, P);
        }
      return;
    }
    if (depthwise_2d) {  // any channel multiplier, on phase planes
      for (int64_t b = 0; b < g.n; ++b)
        for (int64_t oc = 0; oc < g.m; ++oc) {
          const int64_t at = (b * g.m + oc) * P;
          depthwise(w, x + (b * g.c + oc / mg) * I, wt + oc * K, bias ? bias[oc] : 0.0f, y + at,
                    planes_, scratch_, taps_, epilogue.input_grid);
          epilogue.apply(y + at, at, P);
        }
      return;
    }
    // GEMM per group, over tiles of output rows (first spatial dim) so that the columns and
    // the output tile stay in cache. A 1x1 stride-1 conv multiplies the input directly.
    const bool pointwise = w.is_pointwise();
    const int64_t row = P / w.out[0];  // outputs per row of the first spatial dim
    const int64_t tile_rows =
        std::clamp<int64_t>(tile_floats() / ((cg * K + mg) * row), 1, w.out[0]);
    if (!pointwise) scratch_.resize(static_cast<size_t>(cg * K * tile_rows * row));
    for (int64_t b = 0; b < g.n; ++b) {
      for (int64_t grp = 0; grp < group_; ++grp) {
        const float* xg = x + (b * g.c + grp * cg) * I;
        const float* wg = wt + grp * mg * cg * K;
        const float* bg = bias ? bias + grp * mg : nullptr;
        float* yg = y + (b * g.m + grp * mg) * P;
        for (int64_t r0 = 0; r0 < w.out[0]; r0 += tile_rows) {
          const int64_t p0 = r0 * row, n = std::min(tile_rows, w.out[0] - r0) * row;
          if (pointwise) {
            conv_gemm(mg, n, cg, wg, cg, xg + p0, P, bg, yg + p0, P);
          } else {
            Window tile = w;  // the same geometry for output rows [r0, r0 + rows)
            tile.out[0] = n / row;
            tile.pad_begin[0] -= r0 * w.stride[0];
            im2col(tile, cg, xg, scratch_.data());
            conv_gemm(mg, n, cg * K, wg, cg * K, scratch_.data(), n, bg, yg + p0, P);
          }
          if (epilogue.empty()) continue;
          for (int64_t oc = 0; oc < mg; ++oc) {
            const int64_t at = (b * g.m + grp * mg + oc) * P + p0;
            epilogue.apply(y + at, at, n);
          }
        }
      }
    }
  }

  int64_t macs(std::span<const TensorMeta> in, std::span<const TensorMeta> out) const override {
    const Shape& y = out[0].shape;
    int64_t n = y[0] * y[1] * (in[1].shape[1]);
    for (size_t d = 2; d < y.size(); ++d) n *= y[d] * in[1].shape[d];
    return n;
  }

 private:
  ConvGeometry geometry(std::span<const TensorMeta> in) const {
    check_conv_operands(in);
    const Shape &x = in[0].shape, &wt = in[1].shape;
    ConvGeometry g;
    g.n = x[0];
    g.c = x[1];
    g.m = wt[0];
    if (wt[1] * group_ != g.c)
      throw OpError("input has " + std::to_string(g.c) + " channels but weight " + shape_str(wt) +
                    " with group " + std::to_string(group_) + " expects " +
                    std::to_string(wt[1] * group_));
    if (g.m < group_ || g.m % group_ != 0)
      throw OpError("weight has " + std::to_string(g.m) +
                    " output channels, not a multiple of group " + std::to_string(group_));
    const Shape kernel = conv_kernel(in, attrs_, g.m);
    g.w = forward_window(attrs_, Shape(x.begin() + 2, x.end()), kernel);
    return g;
  }

  WindowAttrs attrs_;
  int64_t group_;
  mutable std::vector<float> scratch_;  // im2col columns or the depthwise wide output
  mutable std::vector<const float*> taps_;
  mutable PhasePlanes planes_;
  mutable PaddedPlane padded_;
};

}  // namespace

std::unique_ptr<Op> make_conv(const Attributes& attrs) { return std::make_unique<ConvOp>(attrs); }

}  // namespace resq
