#include "engine/resq/receptive_field.h"

#include <algorithm>

namespace resq {

void affected_outputs(const Window& w, std::span<const int64_t> input_pixels,
                      std::vector<uint8_t>& mark, std::vector<int64_t>& outputs) {
  const int64_t in_w = w.in[1], out_h = w.out[0], out_w = w.out[1];
  mark.assign(static_cast<size_t>(out_h * out_w), 0);
  for (int64_t p : input_pixels) {
    const int64_t iy = p / in_w, ix = p % in_w;
    // Tap (ky, kx) of output (oy, ox) reads (oy * s - pad + k * dil): solve for oy, ox.
    for (int64_t ky = 0; ky < w.kernel[0]; ++ky) {
      const int64_t ny = iy + w.pad_begin[0] - ky * w.dilation[0];
      if (ny < 0 || ny % w.stride[0] != 0 || ny / w.stride[0] >= out_h) continue;
      const int64_t oy = ny / w.stride[0];
      for (int64_t kx = 0; kx < w.kernel[1]; ++kx) {
        const int64_t nx = ix + w.pad_begin[1] - kx * w.dilation[1];
        if (nx < 0 || nx % w.stride[1] != 0 || nx / w.stride[1] >= out_w) continue;
        mark[static_cast<size_t>(oy * out_w + nx / w.stride[1])] = 1;
      }
    }
  }
  outputs.clear();
  for (int64_t q = 0; q < out_h * out_w; ++q)
    if (mark[static_cast<size_t>(q)]) outputs.push_back(q);
}

void gather_columns(const Window& w, int64_t channels, const float* image,
                    std::span<const int64_t> outputs, float* columns,
                    std::vector<int64_t>& origins) {
  const int64_t in_h = w.in[0], in_w = w.in[1], out_w = w.out[1];
  const int64_t kh = w.kernel[0], kw = w.kernel[1], taps = kh * kw;
  const auto n = static_cast<int64_t>(outputs.size());
  // Each position's window origin, once: (oy * s - pad) in [0, n), (ox * s - pad) in [n, 2n).
  origins.resize(static_cast<size_t>(2 * n));
  int64_t* y0 = origins.data();
  int64_t* x0 = y0 + n;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t q = outputs[static_cast<size_t>(j)];
    y0[j] = q / out_w * w.stride[0] - w.pad_begin[0];
    x0[j] = q % out_w * w.stride[1] - w.pad_begin[1];
  }
  for (int64_t ky = 0; ky < kh; ++ky)
    for (int64_t kx = 0; kx < kw; ++kx) {
      const int64_t dy = ky * w.dilation[0], dx = kx * w.dilation[1];
      for (int64_t c = 0; c < channels; ++c) {
        const float* plane = image + c * in_h * in_w;
        float* dst = columns + (c * taps + ky * kw + kx) * n;
        for (int64_t j = 0; j < n; ++j) {
          const int64_t iy = y0[j] + dy, ix = x0[j] + dx;
          dst[j] = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w ? plane[iy * in_w + ix] : 0.0f;
        }
      }
    }
}

}  // namespace resq
