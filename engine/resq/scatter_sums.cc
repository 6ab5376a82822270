#include "engine/resq/scatter_sums.h"

#include <algorithm>

#include "engine/ops/epilogue.h"
#include "engine/ops/float_vec.h"

namespace resq {

bool ScatterSums::fits(const Window& w, int64_t groups, int64_t columns) {
  return w.in.size() == 2 && groups == 1 && columns <= kMaxColumns;
}

void ScatterSums::add(const Window& w, int64_t channels, int64_t m, const float* weights,
                      std::span<const int64_t> pixels, std::span<const int64_t> index,
                      const float* levels, int64_t stride, const float* multiplier, float* out) {
  const int64_t in_w = w.in[1], out_h = w.out[0], out_w = w.out[1], positions = out_h * out_w;
  const int64_t kh = w.kernel[0], kw = w.kernel[1], taps = kh * kw;
  const int64_t mp = (m + kLanes - 1) / kLanes * kLanes;
  // The weights with the output channels innermost, padded with zeros: a tap and channel's
  // weights for all outputs are whole vectors.
  taps_.assign(static_cast<size_t>(taps * channels * mp), 0.0f);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < taps; ++t)
        taps_[static_cast<size_t>((t * channels + c) * mp + r)] =
            weights[(r * channels + c) * taps + t];
  if (row_.size() != static_cast<size_t>(positions)) row_.assign(static_cast<size_t>(positions), -1);
  reached_.clear();
  sums_.clear();
  // Output oy reads input row oy * stride - pad + ky * dilation: per input row (column), the
  // first and last output rows whose windows hold it, once per layer rather than divisions per
  // pixel.
  auto reach = [](int64_t in, int64_t pad, int64_t s, int64_t dilation, int64_t k, int64_t n,
                  std::vector<Span>& spans) {
    spans.resize(static_cast<size_t>(in));
    for (int64_t i = 0; i < in; ++i) {
      const int64_t last = i + pad, first = last - (k - 1) * dilation;  // oy * s at ky = 0, k - 1
      spans[static_cast<size_t>(i)] = {first <= 0 ? 0 : (first + s - 1) / s,
                                       std::min(n - 1, last < 0 ? -1 : last / s)};
    }
  };
  const int64_t sy = w.stride[0], sx = w.stride[1], dy = w.dilation[0], dx = w.dilation[1];
  reach(w.in[0], w.pad_begin[0], sy, dy, kh, out_h, rows_reached_);
  reach(in_w, w.pad_begin[1], sx, dx, kw, out_w, cols_reached_);
  // The pixels increase: their row follows without a division.
  int64_t iy = pixels.empty() ? 0 : pixels[0] / in_w, row_start = iy * in_w;
  for (size_t j = 0; j < pixels.size(); ++j) {
    for (; pixels[j] >= row_start + in_w; row_start += in_w) ++iy;
    const int64_t ix = pixels[j] - row_start;
    const float* lv = levels + index[j];
    const auto [oy0, oy1] = rows_reached_[static_cast<size_t>(iy)];
    const auto [ox0, ox1] = cols_reached_[static_cast<size_t>(ix)];
    for (int64_t oy = oy0; oy <= oy1; ++oy) {
      const int64_t ty = iy + w.pad_begin[0] - oy * sy;  // ky * dilation
      if (dy != 1 && ty % dy != 0) continue;  // (no division when undilated)
      const int64_t ky = dy == 1 ? ty : ty / dy;
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        const int64_t tx = ix + w.pad_begin[1] - ox * sx;
        if (dx != 1 && tx % dx != 0) continue;
        const int64_t kx = dx == 1 ? tx : tx / dx;
        const int64_t p = oy * out_w + ox;
        int32_t& row = row_[static_cast<size_t>(p)];
        if (row < 0) {
          row = static_cast<int32_t>(reached_.size());
          reached_.push_back(p);
          sums_.resize(sums_.size() + static_cast<size_t>(mp), 0.0f);
        }
        float* sum = sums_.data() + row * mp;
        const float* tw = taps_.data() + (ky * kw + kx) * channels * mp;
        for (int64_t r = 0; r < mp; r += kLanes) {
          Vec s = load(sum + r);
          for (int64_t c = 0; c < channels; ++c)
            s = mul_add(lv[c * stride], load(tw + c * mp + r), s);
          store(sum + r, s);
        }
      }
    }
  }
  // Plane by plane: the reached outputs, in about increasing order, are then near each other
  // (output by output, each of the m planes' lines would wait on memory).
  const auto n = static_cast<int64_t>(reached_.size());
  for (int64_t r = 0; r < m; ++r) {
    float* plane = out + r * positions;
    const float* sum = sums_.data() + r;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t p = reached_[static_cast<size_t>(i)];
      plane[p] = scale_affine(sum[i * mp], multiplier[r], plane[p]);
    }
  }
  for (int64_t p : reached_) row_[static_cast<size_t>(p)] = -1;
}

}  // namespace resq
