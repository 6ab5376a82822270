#include "engine/resq/receptive_field.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace resq {

namespace {

// Along spatial dim d: taps[i * kernel + t] = the output whose tap t reads input coordinate i,
// or -1 when none does.
std::vector<int64_t> reachable(const Window& w, size_t d) {
  const int64_t kernel = w.kernel[d];
  std::vector<int64_t> taps(static_cast<size_t>(w.in[d] * kernel), -1);
  for (int64_t o = 0; o < w.out[d]; ++o)
    for (int64_t t = 0; t < kernel; ++t) {
      const int64_t i = o * w.stride[d] - w.pad_begin[d] + t * w.dilation[d];
      if (i >= 0 && i < w.in[d]) taps[static_cast<size_t>(i * kernel + t)] = o;
    }
  return taps;
}

// Per input coordinate, the span [first, last + 1) of the outputs its `kernel` taps reach.
std::vector<std::pair<int64_t, int64_t>> spans(const std::vector<int64_t>& taps, int64_t kernel) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i < taps.size(); i += static_cast<size_t>(kernel)) {
    int64_t lo = -1, hi = -2;
    for (int64_t t = 0; t < kernel; ++t) {
      const int64_t o = taps[i + static_cast<size_t>(t)];
      if (o < 0) continue;
      lo = lo < 0 ? o : std::min(lo, o);
      hi = std::max(hi, o);
    }
    out.emplace_back(lo, lo < 0 ? -1 : hi + 1);
  }
  return out;
}

}  // namespace

TapReach::TapReach(const Window& w)
    : rows(reachable(w, 0)),
      cols(reachable(w, 1)),
      row_spans(spans(rows, w.kernel[0])),
      col_spans(spans(cols, w.kernel[1])) {}

void mark_reached(const Window& w, const TapReach& reach, std::span<const int64_t> input_pixels,
                  ChangeMask& out) {
  // The outputs a pixel reaches span a rectangle: its row's span by its column's.
  const int64_t in_w = w.in[1];
  for (int64_t p : input_pixels) {
    const auto [y0, y1] = reach.row_spans[static_cast<size_t>(p / in_w)];
    const auto [x0, x1] = reach.col_spans[static_cast<size_t>(p % in_w)];
    if (y0 >= 0 && x0 >= 0) out.set(y0, y1, x0, x1);
  }
}

void affected_outputs(const Window& w, const TapReach& reach, std::span<const int64_t> input_pixels,
                      std::vector<uint8_t>& mark, std::vector<int64_t>& outputs) {
  const int64_t in_w = w.in[1], out_h = w.out[0], out_w = w.out[1], kh = w.kernel[0], kw = w.kernel[1];
  mark.assign(static_cast<size_t>(out_h * out_w), 0);
  for (int64_t p : input_pixels) {
    const int64_t iy = p / in_w, ix = p - iy * in_w;
    const int64_t* ry = reach.rows.data() + iy * kh;
    const int64_t* cx = reach.cols.data() + ix * kw;
    for (int64_t ky = 0; ky < kh; ++ky) {
      if (ry[ky] < 0) continue;
      uint8_t* row = mark.data() + ry[ky] * out_w;
      for (int64_t kx = 0; kx < kw; ++kx)
        if (cx[kx] >= 0) row[cx[kx]] = 1;
    }
  }
  // Eight marks at a time: most of a static scene's outputs are unreached.
  outputs.clear();
  const int64_t total = out_h * out_w;
  int64_t q = 0;
  for (; q + 8 <= total; q += 8) {
    uint64_t eight;
    std::memcpy(&eight, mark.data() + q, sizeof eight);
    if (eight == 0) continue;
    for (int64_t i = q; i < q + 8; ++i)
      if (mark[static_cast<size_t>(i)]) outputs.push_back(i);
  }
  for (; q < total; ++q)
    if (mark[static_cast<size_t>(q)]) outputs.push_back(q);
}

void gather_columns(const Window& w, int64_t channels, const float* image,
                    std::span<const int64_t> outputs, float* columns,
                    std::vector<int64_t>& origins) {
  const int64_t in_h = w.in[0], in_w = w.in[1], out_w = w.out[1];
  const int64_t kh = w.kernel[0], kw = w.kernel[1], taps = kh * kw;
  const auto n = static_cast<int64_t>(outputs.size());
  // Each position's window origin, once: (oy * s - pad) in [0, n), (ox * s - pad) in [n, 2n);
  // [2n, 3n) holds one tap's source pixels.
  origins.resize(static_cast<size_t>(3 * n));
  int64_t* y0 = origins.data();
  int64_t* x0 = y0 + n;
  int64_t* src = x0 + n;
  for (int64_t j = 0; j < n; ++j) {
    const int64_t q = outputs[static_cast<size_t>(j)];
    y0[j] = q / out_w * w.stride[0] - w.pad_begin[0];
    x0[j] = q % out_w * w.stride[1] - w.pad_begin[1];
  }
  // Per tap, each position's source pixel (or -1 in the padding) once for all channels.
  for (int64_t ky = 0; ky < kh; ++ky)
    for (int64_t kx = 0; kx < kw; ++kx) {
      const int64_t dy = ky * w.dilation[0], dx = kx * w.dilation[1];
      for (int64_t j = 0; j < n; ++j) {
        const int64_t iy = y0[j] + dy, ix = x0[j] + dx;
        src[j] = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w ? iy * in_w + ix : -1;
      }
      for (int64_t c = 0; c < channels; ++c) {
        const float* plane = image + c * in_h * in_w;
        float* dst = columns + (c * taps + ky * kw + kx) * n;
        for (int64_t j = 0; j < n; ++j) dst[j] = src[j] >= 0 ? plane[src[j]] : 0.0f;
      }
    }
}

}  // namespace resq
