#include "engine/resq/scatter_sums.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/ops/window.h"

namespace resq {
namespace {

// A 2-D conv window over an h x w input; pads: top, left, bottom, right (ONNX order).
Window conv_window(int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t stride,
                   std::vector<int64_t> pads, int64_t dilation = 1) {
  WindowAttrs a;
  a.strides = {stride, stride};
  a.pads = std::move(pads);
  a.dilations = {dilation, dilation};
  return forward_window(a, {h, w}, {kh, kw});
}

// `count` distinct input pixels of w, increasing.
std::vector<int64_t> random_pixels(const Window& w, size_t count, int seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> pixel(0, w.in_size() - 1);
  std::set<int64_t> s;
  while (s.size() < count) s.insert(pixel(rng));
  return {s.begin(), s.end()};
}

// Levels of `channels` channels at `pixels` (0 elsewhere), kept at every other slot of rows of
// 2n + 1 (the policy's candidate layout), summed by ScatterSums into `m` output channels, against
// the direct sum over every tap and channel of every output: scaled onto the outputs a pixel
// reaches, the others untouched. Depthwise (m = channels): output channel r sums input channel r.
void check(ScatterSums& ss, const Window& w, const std::vector<int64_t>& pixels, int seed,
           int64_t channels, int64_t m, bool depthwise = false) {
  const int64_t taps = w.kernel_size(), in = w.in_size(), P = w.out_size();
  const auto n = static_cast<int64_t>(pixels.size()), stride = 2 * n + 1;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(-128, 127), weight(-127, 127);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  std::vector<float> levels(static_cast<size_t>(channels * stride), 99.0f);
  std::vector<int64_t> index(static_cast<size_t>(n));
  std::vector<float> image(static_cast<size_t>(channels * in), 0.0f);
  for (int64_t j = 0; j < n; ++j) {
    index[static_cast<size_t>(j)] = 2 * j + 1;
    for (int64_t c = 0; c < channels; ++c) {
      const auto l = static_cast<float>(level(rng));
      levels[static_cast<size_t>(c * stride + 2 * j + 1)] = l;
      image[static_cast<size_t>(c * in + pixels[static_cast<size_t>(j)])] = l;
    }
  }
  std::vector<float> weights(static_cast<size_t>((depthwise ? 1 : m) * channels * taps));
  for (float& k : weights) k = static_cast<float>(weight(rng));
  std::vector<float> multiplier(static_cast<size_t>(m));
  for (size_t r = 0; r < multiplier.size(); ++r)
    multiplier[r] =
        std::ldexp(1.0f + 0.25f * static_cast<float>(r % 4), -static_cast<int>(r % 5) - 10);
  std::vector<float> out(static_cast<size_t>(m * P));
  for (float& o : out) o = value(rng);
  const std::vector<float> before = out;
  if (depthwise)
    ss.set_depthwise_weights(weights.data(), channels, taps);
  else
    ss.set_weights(weights.data(), channels, m, taps);
  ss.add(w, TapReach(w), pixels, index, levels.data(), stride, multiplier.data(), out.data());

  const std::set<int64_t> at_pixels(pixels.begin(), pixels.end());
  for (int64_t oy = 0; oy < w.out[0]; ++oy)
    for (int64_t ox = 0; ox < w.out[1]; ++ox) {
      bool reached = false;
      std::vector<double> sums(static_cast<size_t>(m), 0.0);
      for (int64_t ky = 0; ky < w.kernel[0]; ++ky)
        for (int64_t kx = 0; kx < w.kernel[1]; ++kx) {
          const int64_t iy = oy * w.stride[0] - w.pad_begin[0] + ky * w.dilation[0];
          const int64_t ix = ox * w.stride[1] - w.pad_begin[1] + kx * w.dilation[1];
          if (iy < 0 || iy >= w.in[0] || ix < 0 || ix >= w.in[1]) continue;
          const int64_t p = iy * w.in[1] + ix;
          reached = reached || at_pixels.count(p) > 0;
          const int64_t t = ky * w.kernel[1] + kx;
          for (int64_t r = 0; r < m; ++r)
            for (int64_t c = depthwise ? r : 0; c < (depthwise ? r + 1 : channels); ++c)
              sums[static_cast<size_t>(r)] +=
                  weights[static_cast<size_t>(((depthwise ? 0 : r * channels) + c) * taps + t)] *
                  image[static_cast<size_t>(c * in + p)];
        }
      for (int64_t r = 0; r < m; ++r) {
        const auto at = static_cast<size_t>(r * P + oy * w.out[1] + ox);
        const float sum = static_cast<float>(sums[static_cast<size_t>(r)]);  // an exact integer
        const float want =
            reached ? std::fma(sum, multiplier[static_cast<size_t>(r)], before[at]) : before[at];
        ASSERT_EQ(out[at], want) << "output channel " << r << " (" << oy << ", " << ox << ")";
      }
    }
}

// f(w, pixels, seed) for each window with 1, a few, a third and all of its pixels.
template <class F>
void each_pixel_set(const std::vector<Window>& windows, F f) {
  int seed = 1;
  for (const Window& w : windows)
    for (size_t count : {size_t{1}, size_t{7}, static_cast<size_t>(w.in_size() / 3),
                         static_cast<size_t>(w.in_size())}) {
      SCOPED_TRACE("window " + std::to_string(w.in[0]) + "x" + std::to_string(w.in[1]) + ", " +
                   std::to_string(count) + " pixels");
      f(w, random_pixels(w, count, seed), seed);
      ++seed;
    }
}

TEST(ScatterSums, EqualsTheDirectSumsAtTheReachedOutputs) {
  ScatterSums ss;  // one instance for all: its per-output rows must be free again after each use
  const std::vector<Window> windows = {
      conv_window(32, 40, 3, 3, 2, {1, 1, 1, 1}),     // the image's first conv
      conv_window(17, 23, 3, 3, 2, {0, 1, 1, 0}),     // odd sizes, asymmetric pads
      conv_window(9, 12, 3, 3, 1, {2, 2, 2, 2}, 2),   // dilated
      conv_window(6, 30, 1, 3, 1, {0, 1, 0, 1}),      // a kernel of neither 9 nor 25 taps
      conv_window(11, 11, 5, 5, 3, {2, 2, 2, 2}),     // stride 3, a 25-tap window of 1 channel
  };
  each_pixel_set(windows, [&](const Window& w, const std::vector<int64_t>& pixels, int seed) {
    const int64_t channels = w.kernel_size() == 25 ? 1 : 3;
    check(ss, w, pixels, seed, channels, 16);
    check(ss, w, pixels, seed + 100, channels, 5);   // part of a vector
    check(ss, w, pixels, seed + 200, channels, 21);  // more than one
  });
}

TEST(ScatterSums, DepthwiseEqualsTheDirectSumsAtTheReachedOutputs) {
  ScatterSums ss;
  const std::vector<Window> windows = {
      conv_window(16, 40, 3, 3, 1, {1, 1, 1, 1}),     // stride 1: each pixel reaches 9 outputs
      conv_window(17, 23, 5, 5, 2, {2, 2, 2, 2}),     // stride 2, 25 taps
      conv_window(9, 12, 3, 3, 2, {0, 1, 1, 0}),      // asymmetric pads
      conv_window(9, 12, 3, 3, 1, {2, 2, 2, 2}, 2),   // dilated
      conv_window(6, 70, 1, 3, 1, {0, 1, 0, 1}),      // a kernel of neither 9 nor 25 taps
  };
  each_pixel_set(windows, [&](const Window& w, const std::vector<int64_t>& pixels, int seed) {
    for (int64_t channels : {3, 16, 21})  // part of a vector, one, more than one
      check(ss, w, pixels, seed + static_cast<int>(channels), channels, channels, true);
  });
  // The same instance back on a full conv: its weights replace the depthwise ones.
  const Window w = conv_window(8, 8, 3, 3, 1, {1, 1, 1, 1});
  check(ss, w, random_pixels(w, 9, 1), 1, 3, 16);
}

// Stride 2 without padding: the last row and column of an even-sized input are read by no
// window; pixels there add to nothing. No pixels: nothing changes.
TEST(ScatterSums, PixelsNoWindowReadsAndNoPixels) {
  ScatterSums ss;
  const Window w = conv_window(8, 8, 3, 3, 2, {0, 0, 0, 0});
  ASSERT_EQ(w.out[0], 3);
  check(ss, w, {0, 7, 15, 56, 62, 63}, 3, 3, 16);
  check(ss, w, {7, 15, 23, 63}, 4, 2, 16);
  check(ss, w, {}, 5, 3, 16);
  check(ss, w, {0, 7, 15, 56, 62, 63}, 6, 16, 16, true);
}

TEST(ScatterSums, FitsTwoDimensionalSingleGroupConvsWithFewColumns_n) {
  const Window w = conv_window(8, 8, 3, 3, 1, {1, 1, 1, 1});
  EXPECT_TRUE(ScatterSums::fits(w, 1, 27));
  EXPECT_TRUE(ScatterSums::fits(w, 1, ScatterSums::kMaxColumns));
  EXPECT_FALSE(ScatterSums::fits(w, 1, ScatterSums::kMaxColumns + 1));
  EXPECT_FALSE(ScatterSums::fits(w, 3, 9));  // grouped
  WindowAttrs a;
  EXPECT_FALSE(ScatterSums::fits(forward_window(a, {8}, {3}), 1, 9));  // 1-D
  EXPECT_TRUE(ScatterSums::fits_depthwise(conv_window(8, 8, 3, 3, 1, {2, 2, 2, 2}, 2)));
  EXPECT_FALSE(ScatterSums::fits_depthwise(forward_window(a, {8}, {3})));
}

}  // namespace
}  // namespace resq
