#include "engine/resq/pixel_layout.h"

#include "engine/ops/window.h"

namespace resq {

PixelLayout pixel_layout(const Node& n, const Shape& x) {
  PixelLayout l;
  if (n.op_type == "Conv" || n.op_type == "ConvTranspose") {
    l.outer = x[0];
    l.channels = x[1];
    l.inner = shape_numel(Shape(x.begin() + 2, x.end()));
  } else if (n.op_type == "Gemm" && n.attrs.get_int("transA", 0) == 1) {
    l.channels = x[0];
    l.inner = x[1];
  } else {  // Gemm, MatMul: rows of K
    l.channels = x.empty() ? 1 : x.back();
    l.outer = l.channels ? shape_numel(x) / l.channels : 0;
  }
  return l;
}

std::vector<double> pixel_mac_shares(const Node& n, const Shape& x, const Shape& w) {
  const PixelLayout l = pixel_layout(n, x);
  std::vector<double> counts(static_cast<size_t>(l.pixels()), 1.0);
  if (n.op_type == "Conv") {
    const Shape spatial(x.begin() + 2, x.end());
    const Window win = forward_window(parse_window_attrs(n.attrs), spatial, Shape(w.begin() + 2, w.end()));
    // Per spatial dim: how many (window position, tap) pairs land on each coordinate; the
    // count of a pixel is the product over dims.
    std::vector<std::vector<double>> per_dim(win.rank());
    for (size_t d = 0; d < win.rank(); ++d) {
      per_dim[d].assign(static_cast<size_t>(win.in[d]), 0.0);
      for (int64_t o = 0; o < win.out[d]; ++o)
        for (int64_t k = 0; k < win.kernel[d]; ++k) {
          int64_t i = o * win.stride[d] - win.pad_begin[d] + k * win.dilation[d];
          if (i >= 0 && i < win.in[d]) per_dim[d][static_cast<size_t>(i)] += 1.0;
        }
    }
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t i = 0; i < l.inner; ++i) {
        double c = 1.0;
        int64_t rest = i;
        for (size_t d = win.rank(); d-- > 0;) {
          c *= per_dim[d][static_cast<size_t>(rest % win.in[d])];
          rest /= win.in[d];
        }
        counts[static_cast<size_t>(o * l.inner + i)] = c;
      }
  }
  double total = 0;
  for (double c : counts) total += c;
  for (double& c : counts) c = total > 0 ? c / total : 0.0;
  return counts;
}

}  // namespace resq
