#include "engine/ops/pool.h"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/error.h"
#include "engine/ops/window.h"

namespace resq {
namespace {

void check_float_input(std::span<const TensorMeta> in, size_t min_rank) {
  if (in.size() != 1 || !in[0].present)
    throw OpError("expects 1 input, got " + std::to_string(in.size()));
  if (in[0].dtype != DType::kFloat32)
    throw OpError(std::string("input must be float32, got ") + dtype_name(in[0].dtype));
  if (in[0].shape.size() < min_rank)
    throw OpError("input must have rank >= " + std::to_string(min_rank) +
                  " (N, C, spatial...), got " + shape_str(in[0].shape));
}

// Per spatial dim and window position: the taps [lo, hi) that land inside the image and the
// number of taps inside the padded image (count_include_pad's divisor).
struct Taps {
  std::vector<std::vector<int64_t>> lo, hi, padded;
};

Taps taps_of(const Window& w) {
  Taps t;
  for (size_t d = 0; d < w.rank(); ++d) {
    std::vector<int64_t> lo, hi, padded;
    for (int64_t o = 0; o < w.out[d]; ++o) {
      const int64_t start = o * w.stride[d] - w.pad_begin[d], dil = w.dilation[d];
      int64_t l = 0, h = 0, p = 0;
      while (l < w.kernel[d] && start + l * dil < 0) ++l;
      for (int64_t k = 0; k < w.kernel[d]; ++k) {
        const int64_t i = start + k * dil;
        if (i < w.in[d]) h = k + 1;
        if (i < w.in[d] + w.pad_end[d]) ++p;
      }
      lo.push_back(l);
      hi.push_back(std::max(l, h));
      padded.push_back(p);
    }
    t.lo.push_back(std::move(lo));
    t.hi.push_back(std::move(hi));
    t.padded.push_back(std::move(padded));
  }
  return t;
}

class PoolOp : public Op {
 public:
  PoolOp(const Attributes& attrs, bool max) : attrs_(parse_window_attrs(attrs)), max_(max) {
    if (attrs_.kernel_shape.empty()) throw OpError("required attribute 'kernel_shape' is missing");
    if (max)
      storage_order_ = attrs.get_flag("storage_order");
    else
      count_include_pad_ = attrs.get_flag("count_include_pad");
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    check_float_input(in, 3);
    const Window w = window(in[0].shape);
    Shape y(in[0].shape.begin(), in[0].shape.begin() + 2);
    y.insert(y.end(), w.out.begin(), w.out.end());
    std::vector<TensorMeta> out = {{DType::kFloat32, y}};
    if (max_) out.push_back({DType::kInt64, y});
    return out;
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& x = *in[0];
    const Window w = window(x.shape());
    const Taps taps = taps_of(w);
    const size_t r = w.rank();
    const int64_t planes = x.dim(0) * x.dim(1), I = w.in_size(), P = w.out_size();
    // Row-major and column-major (storage_order 1) strides of the image.
    std::vector<int64_t> rm(r, 1), cm(r, 1);
    for (size_t d = r - 1; d-- > 0;) rm[d] = rm[d + 1] * w.in[d + 1];
    for (size_t d = 1; d < r; ++d) cm[d] = cm[d - 1] * w.in[d - 1];
    const std::vector<int64_t>& idx_stride = storage_order_ ? cm : rm;
    int64_t* indices = out.size() > 1 && out[1] ? out[1]->i64() : nullptr;
    float* y = out[0]->f32();
    if (r == 2 && !(max_ && indices)) {
      for (int64_t c = 0; c < planes; ++c) pool_plane(w, taps, x.f32() + c * I, y + c * P);
      return;
    }

    std::vector<int64_t> o(r), k(r), start(r);
    for (int64_t c = 0; c < planes; ++c) {
      const float* img = x.f32() + c * I;
      std::fill(o.begin(), o.end(), 0);
      for (int64_t p = 0; p < P; ++p) {
        int64_t count = 1, padded = 1;
        for (size_t d = 0; d < r; ++d) {
          start[d] = o[d] * w.stride[d] - w.pad_begin[d];
          k[d] = taps.lo[d][o[d]];
          count *= taps.hi[d][o[d]] - k[d];
          padded *= taps.padded[d][o[d]];
        }
        float best = -std::numeric_limits<float>::infinity(), sum = 0.0f;
        int64_t best_at = 0;
        for (int64_t t = 0; t < count; ++t) {
          int64_t off = 0, at = 0;
          for (size_t d = 0; d < r; ++d) {
            const int64_t i = start[d] + k[d] * w.dilation[d];
            off += i * rm[d];
            at += i * idx_stride[d];
          }
          const float v = img[off];
          sum += v;
          if (v > best) {
            best = v;
            best_at = at;
          }
          for (size_t d = r; d-- > 0;) {  // next tap inside the box
            if (++k[d] < taps.hi[d][o[d]]) break;
            k[d] = taps.lo[d][o[d]];
          }
        }
        if (max_) {
          y[c * P + p] = best;
          if (indices) indices[c * P + p] = c * I + best_at;
        } else {
          const int64_t div = count_include_pad_ ? padded : count;
          y[c * P + p] = div > 0 ? sum / static_cast<float>(div) : 0.0f;
        }
        for (size_t d = r; d-- > 0;) {  // next window position
          if (++o[d] < w.out[d]) break;
          o[d] = 0;
        }
      }
    }
  }

 private:
  // A 2-D plane on phase planes (see PhasePlanes): one vectorised pass per kernel tap over the
  // wide output grid, pads reading -inf (max) or 0 (average).
  void pool_plane(const Window& w, const Taps& taps, const float* x, float* y) const {
    const float init = max_ ? -std::numeric_limits<float>::infinity() : 0.0f;
    planes_.build(w, x, init);
    const int64_t n = planes_.wide_size(), cols = planes_.wide_cols();
    wide_.assign(static_cast<size_t>(n), init);
    for (int64_t ky = 0; ky < w.kernel[0]; ++ky)
      for (int64_t kx = 0; kx < w.kernel[1]; ++kx) {
        if (max_)
          max_into(wide_.data(), planes_.tap(ky, kx), n);
        else
          add_into(wide_.data(), planes_.tap(ky, kx), n);
      }
    if (max_) {
      planes_.narrow(wide_.data(), y);
      return;
    }
    for (int64_t oy = 0; oy < w.out[0]; ++oy)  // divisors are per-dim counts multiplied
      for (int64_t ox = 0; ox < w.out[1]; ++ox) {
        const int64_t div = count_include_pad_ ? taps.padded[0][oy] * taps.padded[1][ox]
                                               : (taps.hi[0][oy] - taps.lo[0][oy]) *
                                                     (taps.hi[1][ox] - taps.lo[1][ox]);
        y[oy * w.out[1] + ox] = div > 0 ? wide_[oy * cols + ox] / static_cast<float>(div) : 0.0f;
      }
  }

  static void max_into(float* __restrict acc, const float* __restrict t, int64_t n) {
    for (int64_t i = 0; i < n; ++i) acc[i] = std::max(acc[i], t[i]);
  }
  static void add_into(float* __restrict acc, const float* __restrict t, int64_t n) {
    for (int64_t i = 0; i < n; ++i) acc[i] += t[i];
  }

  Window window(const Shape& x) const {
    const Window w = forward_window(attrs_, Shape(x.begin() + 2, x.end()), attrs_.kernel_shape);
    for (size_t d = 0; d < w.rank(); ++d)
      if (w.pad_begin[d] >= w.extent(d) || w.pad_end[d] >= w.extent(d))
        throw OpError("pads must be smaller than the kernel extent " + std::to_string(w.extent(d)) +
                      " in spatial dim " + std::to_string(d));
    return w;
  }

  WindowAttrs attrs_;
  bool max_;
  bool storage_order_ = false;  // 1 = column-major Indices
  bool count_include_pad_ = false;
  size_t scratch_bytes() const override { return planes_.bytes() + capacity_bytes(wide_); }

  mutable PhasePlanes planes_;
  mutable std::vector<float> wide_;
};

class GlobalAveragePoolOp : public Op {
 public:
  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    check_float_input(in, 3);
    Shape y = in[0].shape;
    std::fill(y.begin() + 2, y.end(), 1);
    return std::vector<TensorMeta>{{DType::kFloat32, y}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& x = *in[0];
    const int64_t planes = x.dim(0) * x.dim(1), n = planes ? x.numel() / planes : 0;
    constexpr int kLanes = 16;
    for (int64_t c = 0; c < planes; ++c) {
      const float* p = x.f32() + c * n;
      float acc[kLanes] = {};
      int64_t i = 0;
      for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) acc[j] += p[i + j];
      double sum = 0.0;
      for (; i < n; ++i) sum += p[i];
      for (float a : acc) sum += a;
      out[0]->f32()[c] = n ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
    }
  }
};

}  // namespace

std::unique_ptr<Op> make_max_pool(const Attributes& attrs) {
  return std::make_unique<PoolOp>(attrs, true);
}
std::unique_ptr<Op> make_average_pool(const Attributes& attrs) {
  return std::make_unique<PoolOp>(attrs, false);
}
std::unique_ptr<Op> make_global_average_pool(const Attributes&) {
  return std::make_unique<GlobalAveragePoolOp>();
}

}  // namespace resq
