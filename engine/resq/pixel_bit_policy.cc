#include "engine/resq/pixel_bit_policy.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/capacity_bytes.h"
#include "engine/ops/epilogue.h"
#include "engine/ops/float_vec.h"

namespace resq {
namespace {

// e[i] = the sum over channels, in channel order, of (x - x_k)^2 at pixels [i0, i1) of one image
// ([channels][inner] planes). In double it is exact for float inputs up to the sum's rounding
// (the squares are exact), the same sum as adding one channel at a time. Four channels per pass
// over the pixels: a few streams the prefetcher follows (all channels at once read 2 x channels
// streams and made Dynamic-ResQ frames 5-10% slower). The first pass writes e rather than
// reading zeros. x_k's values are key(k) of the k read (KeyframeInput).
template <class T, class Key>
void squared_residual(const float* x, const float* k, Key key, int64_t channels, int64_t inner,
                      int64_t i0, int64_t i1, T* e) {
  auto square = [key](float a, float b) {
    const float r = a - key(b);
    return static_cast<T>(r) * static_cast<T>(r);
  };
  int64_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const float *x0 = x + c * inner, *x1 = x0 + inner, *x2 = x1 + inner, *x3 = x2 + inner;
    const float *k0 = k + c * inner, *k1 = k0 + inner, *k2 = k1 + inner, *k3 = k2 + inner;
    // e + s0 + s1 + s2 + s3 from the left: the order of adding one channel at a time.
    auto add_four = [&](int64_t i, T to) {
      return to + square(x0[i], k0[i]) + square(x1[i], k1[i]) + square(x2[i], k2[i]) +
             square(x3[i], k3[i]);
    };
    if (c == 0)
      for (int64_t i = i0; i < i1; ++i) e[i] = add_four(i, T{0});
    else
      for (int64_t i = i0; i < i1; ++i) e[i] = add_four(i, e[i]);
  }
  for (; c < channels; ++c) {
    const float* xc = x + c * inner;
    const float* kc = k + c * inner;
    if (c == 0)
      for (int64_t i = i0; i < i1; ++i) e[i] = square(xc[i], kc[i]);
    else
      for (int64_t i = i0; i < i1; ++i) e[i] += square(xc[i], kc[i]);
  }
}

// lv = the levels of r[0, n), err += (r - s * lv)^2 in float (the difference rounded once, as
// the fused multiply-add it has always compiled to; the square and sum rounded once more).
// Separate arrays: the loop vectorises without checks.
void add_quantization_error(const LevelGrid& grid, float s, const float* __restrict r, int64_t n,
                            float* __restrict lv, float* __restrict err) {
  const LevelGrid g = grid;
  for (int64_t j = 0; j < n; ++j) {
    lv[j] = g.level(r[j]);
    const float e = std::fma(-s, lv[j], r[j]);
    err[j] = std::fma(e, e, err[j]);
  }
}

// x_k from what a keyframe kept (KeyframeInput): the values themselves, or the activation the
// fused epilogue applied to them (the same functions, on a float or a vector of floats).
struct Kept {
  template <class T>
  T operator()(T v) const { return v; }
};
struct KeptRelu {
  template <class T>
  T operator()(T v) const { return relu(v); }
};
struct KeptHardSwish {  // its product rounds before x - x_k (-ffp-contract=off, CMakeLists.txt)
  template <class T>
  T operator()(T v) const { return hard_swish(v); }
};
struct KeptClip {
  float lo, hi;
  template <class T>
  T operator()(T v) const { return clip(v, lo, hi); }
};

// f(key) with the key of x_k's activation; `what` names the caller in the error for
// x * HardSigmoid(x), which no kept z_k is read through.
template <class F>
void with_key(const PixelBitPolicy::KeyframeInput& x_k, const char* what, F&& f) {
  using A = Epilogue::Activation;
  switch (x_k.activation) {
    case A::kNone:
      return f(Kept{});
    case A::kRelu:
      return f(KeptRelu{});
    case A::kHardSwish:
      return f(KeptHardSwish{});
    case A::kClip:
      return f(KeptClip{x_k.lo, x_k.hi});
    case A::kTimesHardSigmoid:
      break;
  }
  throw std::invalid_argument(std::string(what) + ": no keyframe input through x * HardSigmoid(x)");
}

}  // namespace

int PixelBitPolicy::exact_choice(int64_t j, std::span<const std::optional<UniformQuantizer>> pool,
                                 double w_norm, double tau) const {
  const auto n = static_cast<int64_t>(candidates_.size());
  auto bound = [&](size_t k) {  // sum of double squares in channel order, then its root
    if (!pool[k]) return 0.0;
    const std::optional<LevelGrid> g = levels_[k].empty() ? std::nullopt : pool[k]->grid();
    const auto s = static_cast<float>(pool[k]->scale());
    double sum = 0;
    for (int64_t c = 0; c < channels_; ++c) {
      const float r = residual_[static_cast<size_t>(c * stride_ + j)];
      const double e = g ? std::fma(-s, levels_[k][static_cast<size_t>(c * n + j)], r) : r;
      sum += e * e;
    }
    return std::sqrt(sum);
  };
  int choice = 0;
  for (size_t k = 0; k + 1 < pool.size() && choice == static_cast<int>(k); ++k)
    choice += static_cast<int>((bound(k) - bound(k + 1)) * w_norm > tau);
  return choice;
}

namespace {

template <class Key>
void write_through(std::span<const float> kept, Key key, std::span<float> out) {
  const auto n = static_cast<int64_t>(kept.size());
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(out.data() + i, key(load(kept.data() + i)));
  for (; i < n; ++i) out[static_cast<size_t>(i)] = key(kept[static_cast<size_t>(i)]);
}

}  // namespace

void PixelBitPolicy::write_keyframe_input(const KeyframeInput& x_k, std::span<float> out) {
  if (out.size() != x_k.values.size())
    throw std::invalid_argument("keyframe input: " + std::to_string(x_k.values.size()) +
                                " values for " + std::to_string(out.size()));
  with_key(x_k, "keyframe input", [&](auto key) { write_through(x_k.values, key, out); });
}

int64_t PixelBitPolicy::band_pixels(int64_t channels) {
  return std::max<int64_t>(kLanes, kBandBytes / (2 * 4 * channels) / kLanes * kLanes);
}

void PixelBitPolicy::choose(std::span<const float> x, const KeyframeInput& x_k,
                            const PixelLayout& px,
                            std::span<const std::optional<UniformQuantizer>> pool, double w_norm,
                            double tau, const ChangeMask* may_differ) {
  with_key(x_k, "Dynamic-ResQ policy", [&](auto key) {
    choose_with(x, x_k.values, key, px, pool, w_norm, tau, may_differ);
  });
}

template <class Key>
void PixelBitPolicy::choose_with(std::span<const float> x, std::span<const float> x_k, Key key,
                                 const PixelLayout& px,
                                 std::span<const std::optional<UniformQuantizer>> pool,
                                 double w_norm, double tau, const ChangeMask* may_differ) {
  if (pool.empty()) throw std::invalid_argument("Dynamic-ResQ policy: the pool is empty");
  const int64_t pixels = px.pixels(), channels = px.channels, inner = px.inner;
  if (static_cast<int64_t>(x.size()) != pixels * channels || x_k.size() != x.size())
    throw std::invalid_argument("Dynamic-ResQ policy: input has " + std::to_string(x.size()) +
                                " elements, keyframe input " + std::to_string(x_k.size()) +
                                ", the layout " + std::to_string(pixels * channels));
  const size_t entries = pool.size();
  const bool zero_first = pool[0] && pool[0]->bits() == 0;
  channels_ = channels;
  times_ = {};
  clock_.start();
  candidates_.clear();
  // The candidates' residual, [channel][j] with a row of stride_ per channel (room for every
  // pixel, and for the whole vectors gather() writes past a row's last candidate).
  stride_ = pixels + kLanes;
  if (residual_.size() < static_cast<size_t>(channels * stride_))
    residual_.resize(static_cast<size_t>(channels * stride_));
  // Pixels are read in bands of every channel small enough to stay in L2 for the candidate test
  // and the gather of the candidates' residual right after the band's first pass: gathering
  // from whole layers after the pass read them from memory again (most of the gather's time).
  const int64_t band = band_pixels(channels);
  // The candidates of blocks_ (of one band), candidates_[first] on: their residual, a vector
  // of pixels at a time compressed to its candidates. Where little moves most blocks hold one
  // to a few candidates, scattered (JPEG noise): one vector per block and channel costs less
  // than copying runs of neighbouring candidates. A block's store may write past its last
  // candidate, which the next block overwrites (or the row's padding takes). Reads stop at
  // the input's end.
  const auto size = static_cast<int64_t>(x.size());
  auto gather = [&](size_t first) {
    for (int64_t c = 0; c < channels; ++c) {
      float* to = residual_.data() + c * stride_ + first;
      for (const Block& b : blocks_) {
        const int64_t at = c * inner + b.offset;
        const float *xr = x.data() + at, *kr = x_k.data() + at;
        if (at + kLanes <= size) {
          to += store_compressed(to, load(xr) - key(load(kr)), b.mask);
          continue;
        }
        for (unsigned m = b.mask; m; m &= m - 1) {
          const int i = std::countr_zero(m);
          *to++ = xr[i] - key(kr[i]);
        }
      }
    }
  };
  // Adds the candidates of the kLanes pixels from p = o * inner + i on (bit i of `mask`).
  auto add_block = [&](int64_t o, int64_t p, unsigned mask) {
    if (!mask) return;
    blocks_.push_back({o * channels * inner + p - o * inner, mask});
    for (; mask; mask &= mask - 1) candidates_.push_back(p + std::countr_zero(mask));
  };
  if (zero_first) {
    // ||delta(p)||^2 per pixel; > (tau / ||q(w)||)^2 makes a candidate (same test as Eq. 11's).
    // Only pixels that may differ from the keyframe: elsewhere delta(p) = 0.
    // Joined spans (a span's unset pixels have a zero residual: no candidates) and whole planes
    // once most pixels may differ: long passes cost less per pixel than many short ones.
    const bool masked = may_differ && px.outer == 1 && 2 * may_differ->count() < may_differ->pixels() &&
                        may_differ->pixels() == inner;
    auto for_each_range = [&](auto f) {  // f(o, i0, i1): pixel ranges, increasing
      if (masked)
        may_differ->for_each_span(1, [&](int64_t i0, int64_t i1) { f(int64_t{0}, i0, i1); });
      else
        for (int64_t o = 0; o < px.outer; ++o) f(o, int64_t{0}, inner);
    };
    // The test is sqrt(e) * ||q(w)|| > tau; away from the threshold e against its square
    // decides the same (a relative margin of 1e-9 dwarfs the rounding of the square root and
    // the products), so the square root runs only near it.
    const double at = (tau / w_norm) * (tau / w_norm), below = at * (1 - 1e-9), above = at * (1 + 1e-9);
    auto exact_test = [&](double e) { return e > above || (e >= below && std::sqrt(e) * w_norm > tau); };
    // Float sums are within 2 x channels + 1 float roundings of the exact double ones (a
    // rounded square and a rounded sum per channel: this file is built without contracting
    // them; relative, as long as the threshold is far above float's denormals): outside a margin
    // of about twice that they decide alike, and the few pixels inside it are summed again in
    // double.
    const bool in_float = entries > 1 && at >= 1e-30;
    const double margin = static_cast<double>(channels + 2) * 0x1p-22;
    const double lo = at * (1 - margin), hi = at * (1 + margin);
    if (in_float)
      first_error_f_.resize(static_cast<size_t>(pixels));
    else
      first_error_.resize(static_cast<size_t>(pixels));
    // Pixel p (= o * inner + i) of a float pass: decided by its sum, or near the threshold by
    // its sum again in double.
    auto float_candidate = [&](int64_t o, int64_t p) {
      const float e = first_error_f_[static_cast<size_t>(p)];
      if (e < lo || e > hi) return e > hi;
      const int64_t channel_0 = o * channels * inner + p - o * inner;
      double exact = 0;  // written: channels >= 1
      squared_residual(x.data() + channel_0, x_k.data() + channel_0, key, channels, inner, 0, 1,
                       &exact);
      return exact_test(exact);
    };
    // A float pass decides whole vectors of pixels at once unless a sum is inside the margin:
    // lo_f is lo rounded down, so a sum below it is below lo, and past_hi the float after hi
    // rounded up, so a sum at or above it is above hi.
    float lo_f = static_cast<float>(lo), past_hi = static_cast<float>(hi);
    if (static_cast<double>(lo_f) > lo) lo_f = std::nextafter(lo_f, 0.0f);
    if (static_cast<double>(past_hi) < hi) past_hi = std::nextafter(past_hi, INFINITY);
    past_hi = std::nextafter(past_hi, INFINITY);
    pixels_read_ = 0;
    for_each_range([&](int64_t o, int64_t i0, int64_t i1) {
      const float* xo = x.data() + o * channels * inner;
      const float* ko = x_k.data() + o * channels * inner;
      for (int64_t b0 = i0, b1; b0 < i1; b0 = b1) {
        b1 = std::min(i1, b0 + band);
        pixels_read_ += b1 - b0;
        if (in_float)
          squared_residual(xo, ko, key, channels, inner, b0, b1, first_error_f_.data() + o * inner);
        else
          squared_residual(xo, ko, key, channels, inner, b0, b1, first_error_.data() + o * inner);
        times_.read += clock_.lap();
        if (entries == 1) continue;  // every pixel at the one entry
        const size_t first = candidates_.size();
        blocks_.clear();
        int64_t p = o * inner + b0;
        const int64_t end = o * inner + b1;
        for (; in_float && p + kLanes <= end; p += kLanes) {
          const Vec e = load(first_error_f_.data() + p);
          unsigned over = lanes_at_least(e, lo_f);
          if (over != lanes_at_least(e, past_hi)) {  // a sum in the margin: pixel by pixel
            over = 0;
            for (int q = 0; q < kLanes; ++q)
              over |= static_cast<unsigned>(float_candidate(o, p + q)) << q;
          }
          add_block(o, p, over);
        }
        // The rest (every pixel when the sums are in double), kLanes pixels a block.
        for (; p < end; p += kLanes) {
          unsigned mask = 0;
          for (int64_t q = p; q < std::min(end, p + kLanes); ++q)
            if (in_float ? float_candidate(o, q) : exact_test(first_error_[static_cast<size_t>(q)]))
              mask |= 1u << (q - p);
          add_block(o, p, mask);
        }
        times_.test += clock_.lap();
        gather(first);
        times_.gather += clock_.lap();
      }
    });
  } else {
    pixels_read_ = pixels;
    blocks_.clear();
    for (int64_t o = 0; o < px.outer; ++o)
      for (int64_t i = 0; i < inner; i += kLanes)
        add_block(o, o * inner + i, (1u << std::min<int64_t>(kLanes, inner - i)) - 1);
    gather(0);
    times_.gather = clock_.lap();
  }
  const auto n = static_cast<int64_t>(candidates_.size());
  // Every entry's squared error at the candidates, summed over channels in order. Rows are
  // short on the deep layers (tens of candidates, a hundred channels): each is run in whole
  // vectors, n_pad values, what lies past n in them is never read (a levels row's tail is the
  // next row's head, written after it; the last one's is padding). In float, twice the vectors
  // of double: a pixel whose choice the float sums could get wrong is summed again in double.
  const int64_t n_pad = (n + kLanes - 1) / kLanes * kLanes;
  levels_.resize(entries);
  for (size_t k = 0; k < entries; ++k)  // a 0-bit first entry and near float keep no levels
    levels_[k].resize(pool[k] && !(k == 0 && zero_first) ? static_cast<size_t>(channels * n + kLanes) : 0);
  error_.assign(entries * static_cast<size_t>(n_pad), 0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    const float* r = residual_.data() + c * stride_;
    for (size_t k = 0; k < entries; ++k) {
      if (!pool[k]) continue;  // near float: no error
      float* err = error_.data() + k * static_cast<size_t>(n_pad);
      float* lv = levels_[k].empty() ? nullptr : levels_[k].data() + c * n;
      if (const std::optional<LevelGrid> g = lv ? pool[k]->grid() : std::nullopt) {
        add_quantization_error(*g, static_cast<float>(pool[k]->scale()), r, n_pad, lv, err);
        continue;
      }
      // 0 bits (summed as the first pass sums it) or a zero range (all levels 0): the error is
      // the residual's own norm.
      if (lv) std::fill(lv, lv + n_pad, 0.0f);
      for (int64_t j = 0; j < n_pad; ++j) err[j] = std::fma(r[j], r[j], err[j]);
    }
  }
  for (float& e : error_) e = std::sqrt(e);  // the bounds' norms, in one vectorised pass
  times_.quantize = clock_.lap();
  // A pixel moves on from entry k (its choice is still k) while the next entry reduces its bound
  // by more than tau: entry by entry, without a branch per pixel. ">" rather than the paper's
  // ">= tau" to stop: a quantizer that does not reduce the bound at all is never worth its
  // bits, which matters at tau = 0 (a zero residual takes 0 bits).
  // The decisions are those of the bounds summed in double (the squares exact, each sum rounded
  // once): a float sum of C squares is within (C + 1) float roundings of it (relative: the terms
  // are positive), its root within half that plus one. Outside twice that margin around tau
  // (plus an absolute 1e-20 for sums in float's denormals) float decides alike; a pixel inside
  // it at any step it takes, or whose sums overflowed, is decided again from double sums.
  const double relative = static_cast<double>(channels + 4) * 0x1p-23;
  choice_.assign(static_cast<size_t>(n), 0);
  unsure_.assign(static_cast<size_t>(n), 0);
  int* choice = choice_.data();
  uint8_t* unsure = unsure_.data();
  for (size_t k = 0; k + 1 < entries; ++k) {
    const float* a = error_.data() + k * static_cast<size_t>(n_pad);
    const float* b = a + n_pad;
    const int at_k = static_cast<int>(k);
    for (int64_t j = 0; j < n; ++j) {
      const double ak = a[j], bk = b[j], d = (ak - bk) * w_norm;
      const double margin = (relative * (ak + bk) + 1e-20) * w_norm;
      const bool here = choice[j] == at_k;
      const bool decided = std::abs(d - tau) > margin;  // false for NaN (an overflowed sum)
      unsure[j] |= static_cast<uint8_t>(here && !decided);
      choice[j] += static_cast<int>(here && d > tau);
    }
  }
  for (int64_t j = 0; j < n; ++j)
    if (unsure[j]) choice[j] = exact_choice(j, pool, w_norm, tau);
  times_.choose = clock_.lap();
}

size_t PixelBitPolicy::bytes() const {
  return capacity_bytes(candidates_) + capacity_bytes(blocks_) + capacity_bytes(choice_) +
         capacity_bytes(residual_) + capacity_bytes(levels_) + capacity_bytes(first_error_f_) +
         capacity_bytes(first_error_) + capacity_bytes(error_) + capacity_bytes(unsure_);
}

}  // namespace resq
