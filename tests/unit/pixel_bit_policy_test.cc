#include "engine/resq/pixel_bit_policy.h"

#include "engine/ops/epilogue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

namespace resq {
namespace {

using Pool = std::vector<std::optional<UniformQuantizer>>;

// An epilogue applying `act` alone (kClip: to [-0.25, 0.5]), and what it makes of z.
Epilogue activation_epilogue(Epilogue::Activation act) {
  Epilogue e;
  e.activation = act;
  e.lo = -0.25f;
  e.hi = 0.5f;
  return e;
}
std::vector<float> through(const Epilogue& e, std::vector<float> z) {
  e.apply(z.data(), 0, static_cast<int64_t>(z.size()));
  return z;
}

// Eq. 9-11 evaluated at every pixel for every entry: the reference the sparse policy must match.
std::vector<int> every_pixel(const std::vector<float>& d, const PixelLayout& px, const Pool& pool,
                             double w_norm, double tau) {
  std::vector<int> choice;
  for (int64_t o = 0; o < px.outer; ++o)
    for (int64_t i = 0; i < px.inner; ++i) {
      std::vector<double> err(pool.size(), 0.0);
      for (size_t k = 0; k < pool.size(); ++k)
        for (int64_t c = 0; c < px.channels; ++c) {
          const float x = d[static_cast<size_t>((o * px.channels + c) * px.inner + i)];
          const double r = pool[k] ? x - pool[k]->quantize(x) : 0.0;
          err[k] += r * r;
        }
      size_t k = 0;
      while (k + 1 < pool.size() && (std::sqrt(err[k]) - std::sqrt(err[k + 1])) * w_norm > tau) ++k;
      choice.push_back(static_cast<int>(k));
    }
  return choice;
}

// A residual of a mostly static frame: small noise everywhere, a moving patch of large values.
std::vector<float> residual(const PixelLayout& px, std::mt19937& rng) {
  std::normal_distribution<float> noise(0.0f, 0.01f), motion(0.0f, 1.0f);
  std::vector<float> d(static_cast<size_t>(px.pixels() * px.channels));
  for (int64_t o = 0; o < px.outer; ++o)
    for (int64_t c = 0; c < px.channels; ++c)
      for (int64_t i = 0; i < px.inner; ++i)
        d[static_cast<size_t>((o * px.channels + c) * px.inner + i)] =
            (i % 17 < 3 ? motion : noise)(rng);
  return d;
}

void expect_same_choices(const Pool& pool, double tau) {
  std::mt19937 rng(5);
  const PixelLayout px{2, 6, 150};
  const std::vector<float> d = residual(px, rng);
  const std::vector<int> want = every_pixel(d, px, pool, 1.7, tau);
  PixelBitPolicy policy;
  // x_k = x - d would round; a zero keyframe input makes x - x_k exactly d.
  policy.choose(d, std::vector<float>(d.size(), 0.0f), px, pool, 1.7, tau);
  std::vector<int> got(static_cast<size_t>(px.pixels()), 0);
  for (size_t j = 0; j < policy.candidates().size(); ++j)
    got[static_cast<size_t>(policy.candidates()[j])] = policy.choice(j);
  EXPECT_EQ(got, want) << "tau " << tau;
  // Candidates carry their residual and, per quantized entry, its levels.
  for (size_t j = 0; j < policy.candidates().size(); ++j) {
    const int64_t p = policy.candidates()[j], o = p / px.inner, i = p % px.inner;
    const auto n = policy.candidates().size();
    for (int64_t c = 0; c < px.channels; ++c) {
      const float x = d[static_cast<size_t>((o * px.channels + c) * px.inner + i)];
      ASSERT_EQ(policy.residual()[c * policy.residual_stride() + static_cast<int64_t>(j)], x);
      for (size_t k = 0; k < pool.size(); ++k) {
        if (!pool[k] || (k == 0 && pool[0]->bits() == 0)) continue;  // no levels kept
        ASSERT_EQ(static_cast<float>(pool[k]->scale()) * policy.levels(k)[static_cast<size_t>(c) * n + j],
                  pool[k]->quantize(x));
      }
    }
  }
}

TEST(PixelBitPolicy, SameChoicesAsEveryPixelEvaluated) {
  const Pool pool = {UniformQuantizer::from_clip(0, 0), UniformQuantizer::from_clip(4, 2.0),
                     UniformQuantizer::from_clip(8, 2.5)};
  for (double tau : {0.0, 0.01, 0.1, 1.0, 100.0}) expect_same_choices(pool, tau);
}

// A layer of one and a half bands of the first pass, with candidates alone and in runs across
// the band's edge and at the input's last pixel, where the residual's gather must not read past
// the end.
TEST(PixelBitPolicy, SameChoicesAcrossBandsAndAtTheInputsEnd) {
  const int64_t band = PixelBitPolicy::band_pixels(2);
  const PixelLayout px{1, 2, band + band / 2};
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.01f), motion(0.0f, 1.0f);
  std::vector<float> d(static_cast<size_t>(px.pixels() * px.channels));
  for (int64_t c = 0; c < px.channels; ++c)
    for (int64_t i = 0; i < px.inner; ++i) {
      const bool moving = i % 97 == 0 || (i >= band - 12 && i < band + 18) || i >= px.inner - 5;
      d[static_cast<size_t>(c * px.inner + i)] = (moving ? motion : noise)(rng);
    }
  const Pool pool = {UniformQuantizer::from_clip(0, 0), UniformQuantizer::from_clip(4, 2.0),
                     UniformQuantizer::from_clip(8, 2.5)};
  const std::vector<int> want = every_pixel(d, px, pool, 1.7, 0.1);
  PixelBitPolicy policy;
  policy.choose(d, std::vector<float>(d.size(), 0.0f), px, pool, 1.7, 0.1);
  std::vector<int> got(static_cast<size_t>(px.pixels()), 0);
  const auto n = static_cast<int64_t>(policy.candidates().size());
  for (int64_t j = 0; j < n; ++j) {
    const int64_t p = policy.candidates()[static_cast<size_t>(j)];
    got[static_cast<size_t>(p)] = policy.choice(static_cast<size_t>(j));
    for (int64_t c = 0; c < px.channels; ++c)
      ASSERT_EQ(policy.residual()[c * policy.residual_stride() + j], d[static_cast<size_t>(c * px.inner + p)]);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(policy.candidates().back(), px.inner - 1);
}

// The first pass sums in float and sums again in double near the threshold: pixels whose norm
// is within 2e-7 (relative) of tau / ||q(w)||, where float sums of 37 channels often err, decide
// as the double reference does.
TEST(PixelBitPolicy, SameChoicesNextToTheThreshold) {
  const PixelLayout px{1, 37, 400};
  const double tau = 0.3, w_norm = 1.0, at = tau * tau / w_norm / w_norm;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> weight(0.1, 2.0);
  std::vector<double> w(static_cast<size_t>(px.channels));
  double w2 = 0;
  for (double& v : w) {
    v = weight(rng);
    w2 += v * v;
  }
  std::vector<float> d(static_cast<size_t>(px.pixels() * px.channels));
  for (int64_t i = 0; i < px.inner; ++i)
    for (int64_t c = 0; c < px.channels; ++c)
      d[static_cast<size_t>(c * px.inner + i)] = static_cast<float>(
          w[static_cast<size_t>(c)] * std::sqrt(at * (1 + static_cast<double>(i - 200) * 1e-9) / w2));
  // Near float as the second entry: a pixel takes it exactly when its norm passes the threshold.
  const Pool pool = {UniformQuantizer::from_clip(0, 0), std::nullopt};
  const std::vector<int> want = every_pixel(d, px, pool, w_norm, tau);
  PixelBitPolicy policy;
  policy.choose(d, std::vector<float>(d.size(), 0.0f), px, pool, w_norm, tau);
  std::vector<int> got(static_cast<size_t>(px.pixels()), 0);
  for (size_t j = 0; j < policy.candidates().size(); ++j)
    got[static_cast<size_t>(policy.candidates()[j])] = policy.choice(j);
  EXPECT_EQ(got, want);
  // Both sides of the threshold are there.
  EXPECT_GT(std::count(want.begin(), want.end(), 0), 100);
  EXPECT_GT(std::count(want.begin(), want.end(), 1), 100);
}

// The error bounds are summed in float and again in double for pixels near a decision: with tau
// set to a pixel's own gap between two entries' bounds (summed in double, as the policy's
// reference), where float sums of 96 channels err about half the time, every pixel still takes
// the entry the double sums give.
TEST(PixelBitPolicy, SameChoicesAtAPixelsOwnGap) {
  const PixelLayout px{1, 96, 300};
  std::mt19937 rng(13);
  std::normal_distribution<float> value(0.0f, 0.3f);
  std::vector<float> d(static_cast<size_t>(px.pixels() * px.channels));
  for (float& v : d) v = value(rng);
  const Pool pool = {UniformQuantizer::from_clip(0, 0), UniformQuantizer::from_clip(4, 1.0),
                     UniformQuantizer::from_clip(8, 1.2)};
  const double w_norm = 1.3;
  // Pixel i's bound at entry k: residual minus levels times the step, rounded once, squared and
  // summed in double in channel order.
  auto bound = [&](int64_t i, size_t k) {
    double sum = 0;
    for (int64_t c = 0; c < px.channels; ++c) {
      const float x = d[static_cast<size_t>(c * px.inner + i)];
      const std::optional<LevelGrid> g = pool[k]->grid();
      const double e = g ? std::fma(-static_cast<float>(pool[k]->scale()), g->level(x), x) : x;
      sum += e * e;
    }
    return std::sqrt(sum);
  };
  auto reference = [&](double tau) {
    std::vector<int> choice;
    for (int64_t i = 0; i < px.inner; ++i) {
      int k = 0;
      while (k + 1 < 3 && (bound(i, static_cast<size_t>(k)) - bound(i, static_cast<size_t>(k) + 1)) * w_norm > tau) ++k;
      choice.push_back(k);
    }
    return choice;
  };
  int cases = 0;
  for (int64_t i = 0; i < px.inner; i += 15)
    for (size_t k : {size_t{0}, size_t{1}}) {
      const double tau = (bound(i, k) - bound(i, k + 1)) * w_norm;
      if (tau < 0) continue;
      ++cases;
      const std::vector<int> want = reference(tau);
      PixelBitPolicy policy;
      policy.choose(d, std::vector<float>(d.size(), 0.0f), px, pool, w_norm, tau);
      std::vector<int> got(static_cast<size_t>(px.pixels()), 0);
      for (size_t j = 0; j < policy.candidates().size(); ++j)
        got[static_cast<size_t>(policy.candidates()[j])] = policy.choice(j);
      ASSERT_EQ(got, want) << "tau " << tau << ", pixel " << i << "'s gap after entry " << k;
      EXPECT_EQ(got[static_cast<size_t>(i)], static_cast<int>(k)) << "pixel " << i << " stays at entry " << k;
    }
  EXPECT_GT(cases, 30);
}

// x_k given as the values a fused activation made it from (the previous layer's z_k): the same
// candidates, choices, residual and levels as x_k given whole.
TEST(PixelBitPolicy, KeyframeInputThroughAnActivation) {
  std::mt19937 rng(17);
  const PixelLayout px{1, 10, 333};
  std::normal_distribution<float> value(0.0f, 1.0f);
  std::vector<float> z(static_cast<size_t>(px.pixels() * px.channels)), x(z.size());
  for (float& v : z) v = value(rng);
  const Pool pool = {UniformQuantizer::from_clip(0, 0), UniformQuantizer::from_clip(4, 2.0),
                     UniformQuantizer::from_clip(8, 2.5), std::nullopt};
  using A = Epilogue::Activation;
  for (A act : {A::kNone, A::kRelu, A::kHardSwish, A::kClip}) {
    const Epilogue e = activation_epilogue(act);
    const std::vector<float> x_k = through(e, z);
    // x: x_k where still, moved in every third column.
    for (size_t i = 0; i < x.size(); ++i) x[i] = i % 3 == 0 ? x_k[i] + 0.3f * value(rng) : x_k[i];
    for (double tau : {0.0, 0.2}) {
      PixelBitPolicy whole, through;
      whole.choose(x, x_k, px, pool, 1.1, tau);
      through.choose(x, PixelBitPolicy::KeyframeInput{z, act, e.lo, e.hi}, px, pool, 1.1, tau);
      ASSERT_EQ(through.candidates(), whole.candidates()) << static_cast<int>(act);
      const auto n = static_cast<int64_t>(whole.candidates().size());
      ASSERT_GT(n, 0);
      for (int64_t j = 0; j < n; ++j) {
        ASSERT_EQ(through.choice(static_cast<size_t>(j)), whole.choice(static_cast<size_t>(j)));
        for (int64_t c = 0; c < px.channels; ++c) {
          const int64_t at = c * whole.residual_stride() + j;
          ASSERT_EQ(through.residual()[at], whole.residual()[at]) << static_cast<int>(act);
          ASSERT_EQ(through.levels(1)[c * n + j], whole.levels(1)[c * n + j]);
        }
      }
    }
  }
  PixelBitPolicy policy;
  EXPECT_THROW(policy.choose(x, PixelBitPolicy::KeyframeInput{z, A::kTimesHardSigmoid}, px, pool, 1.1, 0.2),
               std::invalid_argument);
}

// x_k written whole from the values a fused activation made it from: what the epilogue made,
// bit for bit, in vectors and in the tail (3330 values); refused for a wrong size and for
// x * HardSigmoid(x).
TEST(PixelBitPolicy, WritesKeyframeInputThroughAnActivation) {
  std::mt19937 rng(23);
  std::normal_distribution<float> value(0.0f, 2.0f);
  std::vector<float> z(3330), out(z.size());
  for (float& v : z) v = value(rng);
  using A = Epilogue::Activation;
  for (A act : {A::kNone, A::kRelu, A::kHardSwish, A::kClip}) {
    const Epilogue e = activation_epilogue(act);
    const std::vector<float> want = through(e, z);
    PixelBitPolicy::write_keyframe_input(PixelBitPolicy::KeyframeInput{z, act, e.lo, e.hi}, out);
    ASSERT_EQ(std::memcmp(out.data(), want.data(), sizeof(float) * out.size()), 0) << static_cast<int>(act);
  }
  std::vector<float> short_out(z.size() - 1);
  EXPECT_THROW(PixelBitPolicy::write_keyframe_input(PixelBitPolicy::KeyframeInput{z}, short_out),
               std::invalid_argument);
  EXPECT_THROW(PixelBitPolicy::write_keyframe_input(PixelBitPolicy::KeyframeInput{z, A::kTimesHardSigmoid}, out),
               std::invalid_argument);
}

TEST(PixelBitPolicy, ZeroBitFirstEntryLeavesStaticPixelsOut) {
  std::mt19937 rng(5);
  const PixelLayout px{1, 6, 170};
  const Pool pool = {UniformQuantizer::from_clip(0, 0), UniformQuantizer::from_clip(8, 2.5)};
  PixelBitPolicy policy;
  const std::vector<float> x = residual(px, rng), x_k(x.size(), 0.0f);
  policy.choose(x, x_k, px, pool, 1.0, 0.5);
  // Only the moving columns (3 of every 17) have a residual large enough to be candidates.
  EXPECT_EQ(policy.candidates().size(), 30u);
  for (int64_t p : policy.candidates()) EXPECT_LT(p % 17, 3);
}

// Where x equals x_k outside a ChangeMask, the policy reads only the mask's spans and decides as
// if it had read every pixel.
TEST(PixelBitPolicy, ChangeMaskReadsOnlyItsPixels) {
  std::mt19937 rng(7);
  const int64_t h = 10, w = 17;
  const PixelLayout px{1, 6, h * w};
  const Pool pool = {UniformQuantizer::from_clip(0, 0), UniformQuantizer::from_clip(4, 2.0),
                     UniformQuantizer::from_clip(8, 2.5)};
  ChangeMask mask({1, px.channels, h, w}, false);
  mask.set(2, 5, 3, 9);
  mask.set(7, 8, 0, 17);
  std::vector<float> x = residual(px, rng);
  for (int64_t c = 0; c < px.channels; ++c)
    for (int64_t p = 0; p < px.inner; ++p)
      if (!mask.test(p / w, p % w)) x[static_cast<size_t>(c * px.inner + p)] = 0.0f;
  const std::vector<float> x_k(x.size(), 0.0f);
  for (double tau : {0.0, 0.1, 1.0}) {
    PixelBitPolicy all, masked;
    all.choose(x, x_k, px, pool, 1.3, tau);
    masked.choose(x, x_k, px, pool, 1.3, tau, &mask);
    EXPECT_EQ(all.pixels_read(), px.pixels());
    EXPECT_GE(masked.pixels_read(), mask.count());  // joined spans: a few more
    EXPECT_LT(masked.pixels_read(), px.pixels());
    EXPECT_EQ(masked.candidates(), all.candidates()) << "tau " << tau;
    for (size_t j = 0; j < all.candidates().size(); ++j) EXPECT_EQ(masked.choice(j), all.choice(j));
  }
  // A mask of another plane is not this layer's: everything is read.
  ChangeMask other({1, 1, h, w + 1}, false);
  PixelBitPolicy policy;
  policy.choose(x, x_k, px, pool, 1.3, 0.1, &other);
  EXPECT_EQ(policy.pixels_read(), px.pixels());
}

TEST(PixelBitPolicy, WithoutAZeroBitEntryEveryPixelIsACandidate) {
  const Pool pool = {UniformQuantizer::from_clip(4, 2.0), std::nullopt};
  for (double tau : {0.0, 0.05, 1.0}) expect_same_choices(pool, tau);
  const Pool single = {UniformQuantizer::from_clip(0, 0)};
  expect_same_choices(single, 0.0);
}

TEST(PixelBitPolicy, BadArguments_n) {
  PixelBitPolicy policy;
  const std::vector<float> d(12), shorter(11);
  EXPECT_THROW(policy.choose(d, d, PixelLayout{1, 3, 4}, Pool{}, 1.0, 1.0), std::invalid_argument);
  const Pool pool = {UniformQuantizer::from_clip(0, 0)};
  EXPECT_THROW(policy.choose(d, d, PixelLayout{1, 3, 5}, pool, 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(policy.choose(d, shorter, PixelLayout{1, 3, 4}, pool, 1.0, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace resq
