#include "engine/resq/scatter_sums.h"

#include <algorithm>

#include "engine/capacity_bytes.h"
#include "engine/ops/epilogue.h"
#include "engine/ops/float_vec.h"

namespace resq {
namespace {

// The first float of v at a whole vector's alignment (v holds kLanes - 1 floats to spare).
float* aligned(std::vector<float>& v) {
  constexpr auto kAlign = static_cast<uintptr_t>(kLanes * sizeof(float));
  const auto at = reinterpret_cast<uintptr_t>(v.data());
  return v.data() + (kAlign - at % kAlign) % kAlign / sizeof(float);
}

}  // namespace

bool ScatterSums::fits(const Window& w, int64_t groups, int64_t columns) {
  return w.in.size() == 2 && groups == 1 && columns <= kMaxColumns;
}

void ScatterSums::set_weights(const float* weights, int64_t channels, int64_t m, int64_t taps) {
  depthwise_ = false;
  channels_ = channels;
  m_ = m;
  mp_ = (m + kLanes - 1) / kLanes * kLanes;
  // The output channels innermost: a tap and channel's weights for all outputs are whole vectors.
  taps_.assign(static_cast<size_t>(taps * channels * mp_), 0.0f);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < taps; ++t)
        taps_[static_cast<size_t>((t * channels + c) * mp_ + r)] =
            weights[(r * channels + c) * taps + t];
}

void ScatterSums::set_depthwise_weights(const float* weights, int64_t channels, int64_t taps) {
  depthwise_ = true;
  channels_ = m_ = channels;
  mp_ = (channels + kLanes - 1) / kLanes * kLanes;
  taps_.assign(static_cast<size_t>(taps * mp_), 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t t = 0; t < taps; ++t) taps_[static_cast<size_t>(t * mp_ + c)] = weights[c * taps + t];
  block_levels_.assign(static_cast<size_t>(kPixelBlock * mp_ + kLanes), 0.0f);  // 0 past the channels
}

void ScatterSums::add(const Window& w, const TapReach& reach, std::span<const int64_t> pixels,
                      std::span<const int64_t> index, const float* levels, int64_t stride,
                      const float* multiplier, float* out) {
  const int64_t in_w = w.in[1], out_w = w.out[1], positions = w.out_size();
  const int64_t kh = w.kernel[0], kw = w.kernel[1];
  if (row_.size() != static_cast<size_t>(positions)) row_.assign(static_cast<size_t>(positions), -1);
  reached_.clear();
  // Rows of whole, aligned vectors: a row's vector must not straddle two cache lines, or the
  // next pixel's load of it cannot take the previous store's value directly (BM_ScatterSums).
  // The spare row leaves room to align.
  if (sums_.size() < static_cast<size_t>((positions + 1) * mp_))
    sums_.resize(static_cast<size_t>((positions + 1) * mp_));
  float* const sums = aligned(sums_);
  float* const block_levels = depthwise_ ? aligned(block_levels_) : nullptr;
  // The pixels increase: their row follows without a division.
  int64_t iy = pixels.empty() ? 0 : pixels[0] / in_w, row_start = iy * in_w;
  for (size_t j0 = 0; j0 < pixels.size(); j0 += kPixelBlock) {
    const size_t j1 = std::min(pixels.size(), j0 + kPixelBlock);
    // Depthwise: the block's levels with the channels side by side, as the sums hold them, read
    // along each channel's row (one pixel's channels lie a row apart: rows near a multiple of
    // 4 KB long put them all in one cache set).
    if (depthwise_)
      for (int64_t c = 0; c < channels_; ++c) {
        const float* lc = levels + c * stride;
        for (size_t j = j0; j < j1; ++j)
          block_levels[static_cast<int64_t>(j - j0) * mp_ + c] = lc[index[j]];
      }
    for (size_t j = j0; j < j1; ++j) {
      for (; pixels[j] >= row_start + in_w; row_start += in_w) ++iy;
      const int64_t ix = pixels[j] - row_start;
      const float* lv = levels + index[j];
      const float* pixel = depthwise_ ? block_levels + static_cast<int64_t>(j - j0) * mp_ : nullptr;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const int64_t oy = reach.rows[static_cast<size_t>(iy * kh + ky)];
        if (oy < 0) continue;
        for (int64_t kx = 0; kx < kw; ++kx) {
          const int64_t ox = reach.cols[static_cast<size_t>(ix * kw + kx)];
          if (ox < 0) continue;
          const int64_t p = oy * out_w + ox;
          int32_t& row = row_[static_cast<size_t>(p)];
          if (row < 0) {
            row = static_cast<int32_t>(reached_.size());
            reached_.push_back(p);
            for (int64_t r = 0; r < mp_; r += kLanes) store(sums + row * mp_ + r, Vec{});
          }
          float* sum = sums + row * mp_;
          if (depthwise_) {
            const float* tw = taps_.data() + (ky * kw + kx) * mp_;
            for (int64_t r = 0; r < mp_; r += kLanes)  // integer products and sums: exact
              store(sum + r, load(pixel + r) * load(tw + r) + load(sum + r));
            continue;
          }
          const float* tw = taps_.data() + (ky * kw + kx) * channels_ * mp_;
          for (int64_t r = 0; r < mp_; r += kLanes) {
            Vec s = load(sum + r);
            for (int64_t c = 0; c < channels_; ++c)
              s = mul_add(lv[c * stride], load(tw + c * mp_ + r), s);
            store(sum + r, s);
          }
        }
      }
    }
  }
  // Plane by plane: the reached outputs, in about increasing order, are then near each other
  // (output by output, each of the m planes' lines would wait on memory); in blocks of outputs
  // whose sums (32 KB) stay in L1 while every plane takes its share.
  const auto n = static_cast<int64_t>(reached_.size());
  const int64_t block = std::max<int64_t>(16, 8192 / mp_);
  for (int64_t i0 = 0; i0 < n; i0 += block) {
    const int64_t i1 = std::min(n, i0 + block);
    for (int64_t r = 0; r < m_; ++r) {
      float* plane = out + r * positions;
      const float* sum = sums + r;
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t p = reached_[static_cast<size_t>(i)];
        plane[p] = scale_affine(sum[i * mp_], multiplier[r], plane[p]);
      }
    }
  }
  for (int64_t p : reached_) row_[static_cast<size_t>(p)] = -1;
}

size_t ScatterSums::bytes() const {
  return capacity_bytes(taps_) + capacity_bytes(block_levels_) + capacity_bytes(row_) +
         capacity_bytes(reached_) + capacity_bytes(sums_);
}

}  // namespace resq
