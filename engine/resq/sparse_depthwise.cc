#include "engine/resq/sparse_depthwise.h"

#include <algorithm>

#include "engine/ops/epilogue.h"
#include "engine/ops/float_vec.h"

namespace resq {

bool SparseDepthwise::fits(const Window& w) {
  return w.rank() == 2 && w.dilation[0] == 1 && w.dilation[1] == 1;
}

void SparseDepthwise::reset(const Window& w, int64_t channels) {
  in_w_ = w.in[1];
  out_h_ = w.out[0];
  out_w_ = w.out[1];
  kh_ = w.kernel[0];
  kw_ = w.kernel[1];
  sy_ = w.stride[0];
  sx_ = w.stride[1];
  pad_top_ = w.pad_begin[0];
  pad_left_ = w.pad_begin[1];
  rows_ = out_h_ + (kh_ - 1) / sy_;
  cols_ = out_w_ + (kw_ - 1) / sx_;
  channels_ = channels;
  const auto size = static_cast<size_t>(plane_offset(channels, 0, 0));
  if (planes_.size() < size) planes_.resize(size, 0.0f);  // the rest is zero already
  tap_offsets_.resize(static_cast<size_t>(kh_ * kw_));
  for (int64_t ky = 0; ky < kh_; ++ky)
    for (int64_t kx = 0; kx < kw_; ++kx)
      tap_offsets_[static_cast<size_t>(ky * kw_ + kx)] =
          plane_offset(0, ky % sy_, kx % sx_) + ky / sy_ * cols_ + kx / sx_;
}

int64_t SparseDepthwise::position(int64_t p) const {
  const int64_t py = p / in_w_ + pad_top_, px = p % in_w_ + pad_left_;
  const int64_t y = py / sy_, x = px / sx_;
  if (y >= rows_ || x >= cols_) return -1;  // past the last window (a stride's remainder)
  return plane_offset(0, py % sy_, px % sx_) + y * cols_ + x;
}

void SparseDepthwise::place(std::span<const int64_t> pixels, std::span<const int64_t> index,
                            const float* levels, int64_t stride) {
  const int64_t channel = plane_offset(1, 0, 0);
  placed_.clear();
  for (size_t j = 0; j < pixels.size(); ++j) {
    const int64_t at = position(pixels[j]);
    if (at < 0) continue;
    placed_.push_back(at);
    for (int64_t c = 0; c < channels_; ++c)
      planes_[static_cast<size_t>(c * channel + at)] = levels[c * stride + index[j]];
  }
}

void SparseDepthwise::clear() {
  const int64_t channel = plane_offset(1, 0, 0);
  for (int64_t at : placed_)
    for (int64_t c = 0; c < channels_; ++c) planes_[static_cast<size_t>(c * channel + at)] = 0.0f;
  placed_.clear();
}

void SparseDepthwise::add_sums(std::span<const int64_t> outputs, const float* weights,
                               const float* multiplier, float* out) {
  const int64_t taps = kh_ * kw_, positions = out_h_ * out_w_, channel = plane_offset(1, 0, 0);
  const int64_t* offsets = tap_offsets_.data();
  // Channels c .. c + B - 1 of the outputs [x, x + kLanes) of a run (row origin `in`, `y` in
  // channel 0's plane): B independent sums, so the multiply-adds of one tap do not wait for each
  // other (one run of one vector per channel waited on a chain of `taps` of them).
  auto vectors = [&]<int B>(int64_t c, const float* in, float* y) {
    Vec acc[B] = {};
    for (int64_t t = 0; t < taps; ++t)
      for (int b = 0; b < B; ++b)
        acc[b] = mul_add(weights[(c + b) * taps + t], load(in + (c + b) * channel + offsets[t]), acc[b]);
    for (int b = 0; b < B; ++b) {
      float* yb = y + (c + b) * positions;
      store(yb, mul_add(multiplier[c + b], acc[b], load(yb)));  // scale_affine, lane by lane
    }
  };
  for (size_t i = 0; i < outputs.size();) {
    // The run [x0, x1) of row oy: reached outputs with gaps under kJoin.
    const int64_t oy = outputs[i] / out_w_;
    int64_t x0 = outputs[i] % out_w_;
    int64_t x1 = x0 + 1;
    for (++i; i < outputs.size() && outputs[i] / out_w_ == oy && outputs[i] % out_w_ - x1 < kJoin;
         ++i)
      x1 = outputs[i] % out_w_ + 1;
    // Whole vectors: a run widened to a multiple of the lanes (within the row) takes no scalar
    // tail unless the row is narrower, and the outputs it adds sum to 0.
    const int64_t n = std::min(out_w_, (x1 - x0 + kLanes - 1) / kLanes * kLanes);
    x1 = std::min(out_w_, x0 + n);
    x0 = x1 - n;
    const float* row = planes_.data() + oy * cols_ + x0;
    float* y = out + oy * out_w_ + x0;
    int64_t x = 0;
    for (; x + kLanes <= n; x += kLanes) {
      int64_t c = 0;
      for (; c + 8 <= channels_; c += 8) vectors.template operator()<8>(c, row + x, y + x);
      for (; c < channels_; ++c) vectors.template operator()<1>(c, row + x, y + x);
    }
    for (; x < n; ++x)
      for (int64_t c = 0; c < channels_; ++c) {
        float sum = 0.0f;
        for (int64_t t = 0; t < taps; ++t)
          sum = mul_add(weights[c * taps + t], row[c * channel + offsets[t] + x], sum);
        float& yc = y[c * positions + x];
        yc = scale_affine(sum, multiplier[c], yc);
      }
  }
}

}  // namespace resq
