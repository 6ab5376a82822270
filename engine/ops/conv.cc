#include "engine/ops/conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/ops/conv_gemm.h"
#include "engine/ops/float_vec.h"
#include "engine/ops/window.h"

namespace resq {
namespace {

struct ConvGeometry {
  int64_t n, c, m;  // batch, input channels, output channels
  Window w;
};

// y[x] = bias + sum_t k[t] * taps[t][x] for x < n, the taps added in order t = 0, 1, ...
// Outputs go in blocks of 8 registers with each tap's weight broadcast once per block: one
// vector at a time, every multiply-add also loaded its weight and waited for the previous one
// (the stride-2 layers ran at 4-5 GMAC/s). Tails take single vectors, then single floats.
// T > 0 fixes the tap count at compile time.
template <int T>
void sum_taps(const float* const* taps, const float* k, int64_t t_count, float bias,
              float* __restrict y, int64_t n) {
  const int t_n = T > 0 ? T : static_cast<int>(t_count);
  int64_t x = 0;
  auto blocks = [&]<int V>() {
    for (; x + V * kLanes <= n; x += V * kLanes) {
      Vec acc[V];
      for (int v = 0; v < V; ++v) acc[v] = Vec{} + bias;
      for (int t = 0; t < t_n; ++t) {
        const float kv = k[t];
        const float* src = taps[t] + x;
        for (int v = 0; v < V; ++v) acc[v] = mul_add(kv, load(src + v * kLanes), acc[v]);
      }
      for (int v = 0; v < V; ++v) store(y + x + v * kLanes, acc[v]);
    }
  };
  blocks.template operator()<8>();
  blocks.template operator()<1>();
  for (; x < n; ++x) {
    float acc = bias;
    for (int t = 0; t < t_n; ++t) acc = mul_add(k[t], taps[t][x], acc);
    y[x] = acc;
  }
}

// Depthwise 2-D conv of one input plane x into the output plane y, on phase planes (see
// PhasePlanes): one pass over the wide output grid per channel.
void depthwise(const Window& w, const float* x, const float* k, float bias, float* y,
               PhasePlanes& planes, std::vector<float>& wide, const LevelMap& map) {
  planes.build(w, x, 0.0f, map);
  const int64_t taps = w.kernel_size(), n = planes.wide_size();
  wide.resize(static_cast<size_t>(n));
  switch (taps) {
    case 9:
      sum_taps<9>(planes.taps(), k, 9, bias, wide.data(), n);
      break;
    case 25:
      sum_taps<25>(planes.taps(), k, 25, bias, wide.data(), n);
      break;
    default:
      sum_taps<0>(planes.taps(), k, taps, bias, wide.data(), n);
  }
  planes.narrow(wide.data(), y);
}

// The zero-padded copy of one input plane that the stride-1 kernels read: exactly the rows and
// columns the windows cover, so every tap of every output is an in-bounds read.
struct PaddedPlane {
  int64_t rows = 0, cols = 0;
  std::vector<float> buf;
  std::vector<float> wide;  // depthwise_wide's outputs, `cols` per row

  // Sizes the buffer for w and zeroes it: the padding stays zero for every plane copied in.
  // The kernel width past the last row is zero too (depthwise_wide's last wide outputs read it).
  void reset(const Window& w) {
    rows = w.out[0] - 1 + w.kernel[0];
    cols = w.out[1] - 1 + w.kernel[1];
    buf.assign(static_cast<size_t>(rows * cols + w.kernel[1]), 0.0f);
  }

  // Copies the part of plane x that the windows see (image pixel (iy, ix) goes to padded
  // (iy + pad_top, ix + pad_left)), mapped by `map`.
  void copy(const Window& w, const float* x, const LevelMap& map) {
    const int64_t top = w.pad_begin[0], left = w.pad_begin[1];
    const int64_t y1 = std::min(w.in[0], rows - top), x1 = std::min(w.in[1], cols - left);
    if (x1 <= 0) return;
    for (int64_t iy = 0; iy < y1; ++iy)
      copy_or_map(x + iy * w.in[1], x1, buf.data() + (iy + top) * cols + left,
                  map.at(iy * w.in[1]));
  }
};

// Depthwise 2-D conv of one plane, kernel KH x KW, stride 1, no dilation, on a padded copy of
// the plane: each output row is one sum_taps with every tap at a constant offset from one of
// the padded rows' starts. The taps sum in the same order as depthwise().
template <int KH, int KW>
void depthwise_rows(const Window& w, const float* x, const float* k, float bias, float* y,
                    PaddedPlane& plane, const LevelMap& map) {
  plane.copy(w, x, map);
  const int64_t oh = w.out[0], ow = w.out[1];
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* taps[KH * KW];
    for (int t = 0; t < KH * KW; ++t)
      taps[t] = plane.buf.data() + (oy + t / KW) * plane.cols + t % KW;
    sum_taps<KH * KW>(taps, k, KH * KW, bias, y + oy * ow, ow);
  }
}

// Stride 1, the padded plane read as one long row: wide output (oy, ox), ox < cols, is at
// oy * cols + ox and its tap (ky, kx) at that index plus ky * cols + kx, so the whole plane is
// one vectorised loop (per-row setup dominated the small planes of the deep layers), and then
// the ow valid outputs of each wide row are copied out. The taps sum as in depthwise_rows.
template <int KH, int KW>
void depthwise_wide(const Window& w, const float* x, const float* k, float bias, float* y,
                    PaddedPlane& plane, const LevelMap& map) {
  plane.copy(w, x, map);
  const int64_t oh = w.out[0], ow = w.out[1], cols = plane.cols, n = oh * cols;
  plane.wide.resize(static_cast<size_t>(n));
  const float* taps[KH * KW];
  for (int t = 0; t < KH * KW; ++t) taps[t] = plane.buf.data() + t / KW * cols + t % KW;
  float* wide = plane.wide.data();
  sum_taps<KH * KW>(taps, k, KH * KW, bias, wide, n);
  for (int64_t oy = 0; oy < oh; ++oy)
    std::copy(wide + oy * cols, wide + oy * cols + ow, y + oy * ow);
}

// The padded-plane kernel for w (depthwise_wide or depthwise_rows), or nullptr when there is
// none (dilation, other strides or kernel sizes): those take the phase-plane path.
using DepthwiseKernel = void (*)(const Window&, const float*, const float*, float, float*,
                                 PaddedPlane&, const LevelMap&);
DepthwiseKernel padded_plane_kernel(const Window& w) {
  if (w.dilation[0] != 1 || w.dilation[1] != 1 || w.stride[0] != w.stride[1] ||
      w.kernel[0] != w.kernel[1])
    return nullptr;
  switch (w.kernel[0] * 10 + w.stride[0]) {
    case 31:  // wide rows of 64 or more: the copy out costs more than the rows' setup saves
      return w.out[1] < 64 ? depthwise_wide<3, 3> : depthwise_rows<3, 3>;
    case 51:
      return w.out[1] < 64 ? depthwise_wide<5, 5> : depthwise_rows<5, 5>;
    default:  // stride 2 runs faster on phase planes (one wide loop per plane)
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
    const bool pointwise = w.is_pointwise();
    const bool tap_rows = conv_reads_tap_rows(cg, w.kernel);
    if (epilogue.input.grid && !conv_maps_levels_as_it_reads(cg, w.kernel))
      return Op::run_fused(in, out, epilogue);
    const LevelMap& map = epilogue.input;
    if (const DepthwiseKernel padded = depthwise_2d ? padded_plane_kernel(w) : nullptr) {
      padded_.reset(w);
      for (int64_t b = 0; b < g.n; ++b)
        for (int64_t oc = 0; oc < g.m; ++oc) {
          const int64_t at = (b * g.m + oc) * P;
          const int64_t from = (b * g.c + oc / mg) * I;
          padded(w, x + from, wt + oc * K, bias ? bias[oc] : 0.0f, y + at, padded_, map.at(from));
          epilogue.apply(y + at, at, P);
        }
      return;
    }
    if (depthwise_2d) {  // any channel multiplier, on phase planes
      for (int64_t b = 0; b < g.n; ++b)
        for (int64_t oc = 0; oc < g.m; ++oc) {
          const int64_t at = (b * g.m + oc) * P;
          const int64_t from = (b * g.c + oc / mg) * I;
          depthwise(w, x + from, wt + oc * K, bias ? bias[oc] : 0.0f, y + at, planes_, scratch_,
                    map.at(from));
          epilogue.apply(y + at, at, P);
        }
      return;
    }
    const bool in_gemm = !epilogue.empty() && epilogue.gemm_fusable();
    const Epilogue* post = in_gemm ? &epilogue : nullptr;
    if (tap_rows) {
      // A few input channels (the image): the GEMM reads the kernel taps where they lie on the
      // channels' phase planes, one output row at a time, so no im2col columns are written.
      in_planes_.resize(static_cast<size_t>(cg));
      tap_rows_.resize(static_cast<size_t>(cg * K));
      const int64_t ow = w.out[1];
      for (int64_t b = 0; b < g.n; ++b)
        for (int64_t grp = 0; grp < group_; ++grp) {
          for (int64_t c = 0; c < cg; ++c) {
            const int64_t from = (b * g.c + grp * cg + c) * I;
            in_planes_[c].build(w, x + from, 0.0f, map.at(from));
            std::copy(in_planes_[c].taps(), in_planes_[c].taps() + K, tap_rows_.begin() + c * K);
          }
          const int64_t at = (b * g.m + grp * mg) * P;
          for (int64_t oy = 0; oy < w.out[0]; ++oy)
            conv_gemm_rows(mg, ow, cg * K, wt + grp * mg * cg * K, cg * K, tap_rows_.data(),
                           oy * in_planes_[0].wide_cols(), bias ? bias + grp * mg : nullptr,
                           y + at + oy * ow, P, post,
                           in_gemm && epilogue.addend ? epilogue.addend + at + oy * ow : nullptr);
          if (in_gemm || epilogue.empty()) continue;
          for (int64_t oc = 0; oc < mg; ++oc) epilogue.apply(y + at + oc * P, at + oc * P, P);
        }
      return;
    }
    // GEMM per group, over tiles of output rows (first spatial dim) so that the columns and
    // the output tile stay in cache. A 1x1 stride-1 conv multiplies the input directly.
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
          // The epilogue on the GEMM's registers where it can (no second pass over the tile).
          const int64_t at = (b * g.m + grp * mg) * P + p0;
          const float* addend = in_gemm && epilogue.addend ? epilogue.addend + at : nullptr;
          if (pointwise) {
            conv_gemm(mg, n, cg, wg, cg, xg + p0, P, bg, yg + p0, P, post, addend);
          } else {
            Window tile = w;  // the same geometry for output rows [r0, r0 + rows)
            tile.out[0] = n / row;
            tile.pad_begin[0] -= r0 * w.stride[0];
            im2col(tile, cg, xg, scratch_.data());
            conv_gemm(mg, n, cg * K, wg, cg * K, scratch_.data(), n, bg, yg + p0, P, post,
                      addend);
          }
          if (in_gemm || epilogue.empty()) continue;
          for (int64_t oc = 0; oc < mg; ++oc) epilogue.apply(y + at + oc * P, at + oc * P, n);
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
  size_t scratch_bytes() const override {
    size_t bytes = capacity_bytes(scratch_) + planes_.bytes() + capacity_bytes(tap_rows_) +
                   capacity_bytes(padded_.buf) + capacity_bytes(padded_.wide);
    for (const PhasePlanes& p : in_planes_) bytes += p.bytes();
    return bytes;
  }

  mutable std::vector<float> scratch_;  // im2col columns or the depthwise wide output
  mutable PhasePlanes planes_;
  mutable std::vector<PhasePlanes> in_planes_;  // per input channel, for conv_gemm_rows
  mutable std::vector<const float*> tap_rows_;
  mutable PaddedPlane padded_;
};

}  // namespace

bool conv_reads_tap_rows(int64_t channels_per_group, const Shape& kernel) {
  return kernel.size() == 2 && shape_numel(kernel) > 1 && channels_per_group <= 4;
}

bool conv_maps_levels_as_it_reads(int64_t channels_per_group, const Shape& kernel) {
  return kernel.size() == 2 &&
         (channels_per_group == 1 || conv_reads_tap_rows(channels_per_group, kernel));
}

std::unique_ptr<Op> make_conv(const Attributes& attrs) { return std::make_unique<ConvOp>(attrs); }

}  // namespace resq
