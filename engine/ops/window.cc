#include "engine/ops/window.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <string>

#include "engine/error.h"
#include "engine/quant/uniform_quantizer.h"

namespace resq {
namespace {

constexpr int64_t kMaxAttr = int64_t{1} << 31;  // keeps size arithmetic far from overflow

std::vector<int64_t> checked_ints(const Attributes& attrs, const char* name, int64_t min) {
  std::vector<int64_t> v = attrs.get_ints(name, {});
  for (int64_t x : v)
    if (x < min || x >= kMaxAttr)
      throw OpError(std::string("attribute '") + name + "' has value " + std::to_string(x) +
                    (min > 0 ? ", expected positive values" : ", expected non-negative values"));
  return v;
}

// `v`, or `def` repeated `rank` times when v is empty; throws when the length is wrong.
std::vector<int64_t> per_dim(const std::vector<int64_t>& v, size_t rank, int64_t def,
                             const char* name) {
  if (v.empty()) return std::vector<int64_t>(rank, def);
  if (v.size() != rank)
    throw OpError(std::string("attribute '") + name + "' has " + std::to_string(v.size()) +
                  " values for " + std::to_string(rank) + " spatial dims");
  return v;
}

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

Window base_window(const WindowAttrs& a, const Shape& in_spatial, const Shape& kernel) {
  const size_t r = in_spatial.size();
  if (r == 0) throw OpError("input has no spatial dimensions");
  if (kernel.size() != r)
    throw OpError("kernel has " + std::to_string(kernel.size()) + " spatial dims, input has " +
                  std::to_string(r));
  Window w;
  w.kernel = kernel;
  w.stride = per_dim(a.strides, r, 1, "strides");
  w.dilation = per_dim(a.dilations, r, 1, "dilations");
  w.pad_begin.assign(r, 0);
  w.pad_end.assign(r, 0);
  if (a.auto_pad == AutoPad::kNotSet && !a.pads.empty()) {
    if (a.pads.size() != 2 * r)
      throw OpError("attribute 'pads' has " + std::to_string(a.pads.size()) + " values, expected " +
                    std::to_string(2 * r));
    for (size_t d = 0; d < r; ++d) {
      w.pad_begin[d] = a.pads[d];
      w.pad_end[d] = a.pads[d + r];
    }
  }
  for (size_t d = 0; d < r; ++d)
    if (kernel[d] <= 0) throw OpError("kernel has a non-positive size " + shape_str(kernel));
  return w;
}

// Splits a total padding for SAME_*: SAME_UPPER puts the odd pixel at the end.
void split_same(int64_t total, bool upper, int64_t& begin, int64_t& end) {
  begin = upper ? total / 2 : total - total / 2;
  end = total - begin;
}

// Calls f(col_row, image_offset) for every row of window positions (all dims but the last)
// as seen through kernel tap `k`; image_offset is the start of the image row read, or -1 when
// that row lies in the padding.
template <class F>
void for_each_row(const Window& w, const std::vector<int64_t>& k, F&& f) {
  const size_t last = w.rank() - 1;
  const int64_t rows = w.out_size() / w.out[last];
  std::vector<int64_t> o(last, 0);
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0;
    bool inside = true;
    for (size_t d = 0; d < last; ++d) {
      int64_t i = o[d] * w.stride[d] - w.pad_begin[d] + k[d] * w.dilation[d];
      inside = inside && i >= 0 && i < w.in[d];
      off = off * w.in[d] + i;
    }
    f(row, inside ? off * w.in[last] : int64_t{-1});
    for (size_t d = last; d-- > 0;) {
      if (++o[d] < w.out[d]) break;
      o[d] = 0;
    }
  }
}

// Walks every (channel, kernel tap) row of the column matrix. f(col_row_ptr_offset, k, lo, hi,
// base) where window positions [lo, hi) of the last dim read image x = ox * stride + base.
template <class F>
void for_each_tap(const Window& w, int64_t channels, F&& f) {
  const size_t r = w.rank(), last = r - 1;
  const int64_t K = w.kernel_size(), P = w.out_size(), I = w.in_size();
  const int64_t n = w.out[last], s = w.stride[last], in_last = w.in[last];
  std::vector<int64_t> k(r, 0);
  for (int64_t kk = 0; kk < K; ++kk) {
    const int64_t base = k[last] * w.dilation[last] - w.pad_begin[last];
    const int64_t lo = std::min(n, base >= 0 ? int64_t{0} : ceil_div(-base, s));
    const int64_t hi =
        std::clamp(base < in_last ? (in_last - 1 - base) / s + 1 : int64_t{0}, lo, n);
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t col_off = (c * K + kk) * P;
      for_each_row(w, k, [&](int64_t row, int64_t img_off) {
        f(col_off + row * n, img_off < 0 ? int64_t{-1} : c * I + img_off, lo, hi, base);
      });
    }
    for (size_t d = r; d-- > 0;) {
      if (++k[d] < w.kernel[d]) break;
      k[d] = 0;
    }
  }
}

}  // namespace

bool Window::is_pointwise() const {
  for (size_t d = 0; d < rank(); ++d)
    if (kernel[d] != 1 || stride[d] != 1 || pad_begin[d] != 0 || pad_end[d] != 0 || in[d] != out[d])
      return false;
  return true;
}

WindowAttrs parse_window_attrs(const Attributes& attrs) {
  WindowAttrs a;
  const std::string pad = attrs.get_string("auto_pad", "NOTSET");
  if (pad == "NOTSET")
    a.auto_pad = AutoPad::kNotSet;
  else if (pad == "SAME_UPPER")
    a.auto_pad = AutoPad::kSameUpper;
  else if (pad == "SAME_LOWER")
    a.auto_pad = AutoPad::kSameLower;
  else if (pad == "VALID")
    a.auto_pad = AutoPad::kValid;
  else
    throw OpError("attribute 'auto_pad' is '" + pad +
                  "', expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  a.kernel_shape = checked_ints(attrs, "kernel_shape", 1);
  a.strides = checked_ints(attrs, "strides", 1);
  a.dilations = checked_ints(attrs, "dilations", 1);
  a.pads = checked_ints(attrs, "pads", 0);
  if (a.pads.size() % 2 != 0)
    throw OpError("attribute 'pads' has an odd number of values (" + std::to_string(a.pads.size()) +
                  ")");
  a.ceil_mode = attrs.get_flag("ceil_mode");
  return a;
}

Window forward_window(const WindowAttrs& a, const Shape& in_spatial, const Shape& kernel) {
  Window w = base_window(a, in_spatial, kernel);
  w.in = in_spatial;
  w.out.resize(w.rank());
  for (size_t d = 0; d < w.rank(); ++d) {
    const int64_t in = in_spatial[d], s = w.stride[d], ext = w.extent(d);
    if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
      w.out[d] = ceil_div(in, s);
      split_same(std::max<int64_t>(0, (w.out[d] - 1) * s + ext - in),
                 a.auto_pad == AutoPad::kSameUpper, w.pad_begin[d], w.pad_end[d]);
    } else {
      const int64_t avail = in + w.pad_begin[d] + w.pad_end[d] - ext;
      if (avail < 0)
        throw OpError("kernel extent " + std::to_string(ext) +
                      " is larger than the padded input (" +
                      std::to_string(in + w.pad_begin[d] + w.pad_end[d]) + ") in spatial dim " +
                      std::to_string(d));
      w.out[d] = (a.ceil_mode ? ceil_div(avail, s) : avail / s) + 1;
      // A last window that would start in the end padding is dropped.
      if (a.ceil_mode && (w.out[d] - 1) * s >= in + w.pad_begin[d]) --w.out[d];
    }
    if (w.out[d] < 1)
      throw OpError("output would be empty in spatial dim " + std::to_string(d) + " (input " +
                    shape_str(in_spatial) + ")");
  }
  return w;
}

Window transposed_window(const WindowAttrs& a, const Shape& in_spatial, const Shape& kernel,
                         const std::vector<int64_t>& output_padding,
                         const std::vector<int64_t>& output_shape) {
  Window w = base_window(a, in_spatial, kernel);
  const size_t r = in_spatial.size();
  std::vector<int64_t> adj = per_dim(output_padding, r, 0, "output_padding");
  std::vector<int64_t> shape = output_shape;
  if (shape.size() == r + 2) shape.erase(shape.begin(), shape.begin() + 2);  // full N, C, ... form
  if (!shape.empty()) shape = per_dim(shape, r, 0, "output_shape");
  w.out = in_spatial;
  w.in.resize(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t full = (in_spatial[d] - 1) * w.stride[d] + adj[d] + w.extent(d);
    const bool same = a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower;
    if (!shape.empty() || same) {
      w.in[d] = shape.empty() ? in_spatial[d] * w.stride[d] : shape[d];
      // ONNX: total = full - output_shape; SAME_UPPER puts the odd pixel at the end.
      split_same(std::max<int64_t>(0, full - w.in[d]), a.auto_pad != AutoPad::kSameLower,
                 w.pad_begin[d], w.pad_end[d]);
    } else {
      w.in[d] = full - w.pad_begin[d] - w.pad_end[d];
    }
    if (w.in[d] < 1)
      throw OpError("output would be empty in spatial dim " + std::to_string(d) + " (input " +
                    shape_str(in_spatial) + ")");
  }
  return w;
}

void check_conv_operands(std::span<const TensorMeta> in) {
  if (in.size() < 2 || in.size() > 3 || !in[0].present || !in[1].present)
    throw OpError("expects inputs X, W and optional B, got " + std::to_string(in.size()) +
                  " inputs");
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].present && in[i].dtype != DType::kFloat32)
      throw OpError("input " + std::to_string(i) + " must be float32, got " +
                    dtype_name(in[i].dtype));
  const Shape &x = in[0].shape, &wt = in[1].shape;
  if (x.size() < 3)
    throw OpError("input X must have rank >= 3 (N, C, spatial...), got " + shape_str(x));
  if (wt.size() != x.size())
    throw OpError("weight has rank " + std::to_string(wt.size()) + ", expected " +
                  std::to_string(x.size()) + " (input is " + shape_str(x) + ")");
}

Shape conv_kernel(std::span<const TensorMeta> in, const WindowAttrs& a, int64_t out_channels) {
  const Shape& wt = in[1].shape;
  const Shape kernel(wt.begin() + 2, wt.end());
  if (!a.kernel_shape.empty() && a.kernel_shape != kernel)
    throw OpError("attribute 'kernel_shape' " + shape_str(a.kernel_shape) +
                  " does not match the weight " + shape_str(wt));
  if (in.size() == 3 && in[2].present &&
      (in[2].shape.size() != 1 || in[2].shape[0] != out_channels))
    throw OpError("bias has shape " + shape_str(in[2].shape) + ", expected " +
                  std::to_string(out_channels));
  return kernel;
}

int64_t tile_floats() {
  static const int64_t floats = [] {
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return static_cast<int64_t>(l2 > 0 ? l2 : 1 << 20) / 4 / static_cast<int64_t>(sizeof(float));
  }();
  return floats;
}

void im2col(const Window& w, int64_t channels, const float* image, float* col) {
  const int64_t n = w.out[w.rank() - 1], s = w.stride[w.rank() - 1];
  for_each_tap(w, channels,
               [&](int64_t c_off, int64_t i_off, int64_t lo, int64_t hi, int64_t base) {
                 float* __restrict dst = col + c_off;
                 if (i_off < 0) {
                   std::fill(dst, dst + n, 0.0f);
                   return;
                 }
                 const float* __restrict src = image + i_off;
                 std::fill(dst, dst + lo, 0.0f);
                 // Constant strides let the copies vectorise (stride 2 with shuffles).
                 if (s == 1) {
                   for (int64_t x = lo; x < hi; ++x) dst[x] = src[x + base];
                 } else if (s == 2) {
                   for (int64_t x = lo; x < hi; ++x) dst[x] = src[2 * x + base];
                 } else {
                   for (int64_t x = lo; x < hi; ++x) dst[x] = src[x * s + base];
                 }
                 std::fill(dst + hi, dst + n, 0.0f);
               });
}

void col2im(const Window& w, int64_t channels, const float* col, float* image) {
  const int64_t s = w.stride[w.rank() - 1];
  for_each_tap(w, channels,
               [&](int64_t c_off, int64_t i_off, int64_t lo, int64_t hi, int64_t base) {
                 if (i_off < 0) return;
                 const float* __restrict src = col + c_off;
                 float* __restrict dst = image + i_off;
                 for (int64_t x = lo; x < hi; ++x) dst[x * s + base] += src[x];
               });
}

void PhasePlanes::build(const Window& w, const float* x, float pad_value, const LevelMap& map) {
  const int64_t sh = w.stride[0], sw = w.stride[1], in_h = w.in[0], in_w = w.in[1];
  const int64_t pw = ((w.out[1] - 1) * sw + w.extent(1) + sw - 1) / sw;      // >= out[1]
  const int64_t ph = ((w.out[0] - 1) * sh + w.extent(0) + sh - 1) / sh + 1;  // + 1: wide overrun
  const std::array<int64_t, 13> key = {sh, sw, w.dilation[0], w.dilation[1], w.out[0], w.out[1],
                                       w.kernel[0], w.kernel[1], in_h, in_w, w.pad_begin[0],
                                       w.pad_begin[1], std::bit_cast<int32_t>(pad_value)};
  const int64_t plane = ph * pw, row_len = pw * sw;
  if (key != key_) {  // the pads are written once per geometry; each build writes the pixels
    key_ = key;
    oh_ = w.out[0], ow_ = w.out[1], pw_ = pw, kw_ = w.kernel[1];
    buf_.assign(static_cast<size_t>(sh * sw * plane), pad_value);
    taps_.clear();
    for (int64_t ky = 0; ky < w.kernel[0]; ++ky)
      for (int64_t kx = 0; kx < w.kernel[1]; ++kx) {
        const int64_t r = ky * w.dilation[0], c = kx * w.dilation[1];
        taps_.push_back(buf_.data() + ((r % sh) * sw + c % sw) * plane + (r / sh) * pw + c / sw);
      }
  }
  // Image pixel (iy, ix) is padded pixel (iy + y0, ix + x0); the windows read only the first
  // sh * ph padded rows and row_len padded columns.
  const int64_t y0 = w.pad_begin[0], x0 = std::min(w.pad_begin[1], row_len);
  const int64_t cols = std::clamp<int64_t>(row_len - x0, 0, in_w);
  const int64_t rows = std::clamp<int64_t>(sh * ph - y0, 0, in_h);
  if (map.grid) row_.resize(static_cast<size_t>(cols));
  for (int64_t iy = 0; iy < rows; ++iy) {
    const int64_t py = iy + y0;
    float* __restrict d = buf_.data() + (py % sh) * sw * plane + (py / sh) * pw;  // phase 0
    const float* src = x + iy * in_w;
    if (map.grid) {
      copy_or_map(src, cols, row_.data(), map.at(iy * in_w));
      src = row_.data();
    }
    const float* __restrict s = src;
    if (sw == 1) {
      std::copy(s, s + cols, d + x0);
    } else if (sw == 2) {  // even pixels to one column phase, odd ones to the other
      float* __restrict e = d + (x0 % 2) * plane + x0 / 2;
      float* __restrict o = d + (1 - x0 % 2) * plane + (x0 + 1) / 2;
      for (int64_t j = 0; j < cols / 2; ++j) {
        e[j] = s[2 * j];
        o[j] = s[2 * j + 1];
      }
      if (cols % 2) e[cols / 2] = s[cols - 1];
    } else {
      for (int64_t ix = 0; ix < cols; ++ix) {
        const int64_t c = ix + x0;
        d[(c % sw) * plane + c / sw] = s[ix];
      }
    }
  }
}

void PhasePlanes::narrow(const float* wide, float* y) const {
  for (int64_t oy = 0; oy < oh_; ++oy)
    std::copy(wide + oy * pw_, wide + oy * pw_ + ow_, y + oy * ow_);
}

std::vector<TensorMeta> metas_of(std::span<const Tensor* const> in) {
  std::vector<TensorMeta> m(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    m[i] = in[i] ? TensorMeta{in[i]->dtype(), in[i]->shape(), in[i]}
                 : TensorMeta{DType::kFloat32, {}, nullptr, false};
  return m;
}

}  // namespace resq
