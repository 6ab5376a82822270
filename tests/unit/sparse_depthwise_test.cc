#include "engine/resq/sparse_depthwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "engine/resq/receptive_field.h"
#include "tests/unit/conv_windows.h"

namespace resq {
namespace {

// Levels at `pixels` (0 elsewhere), summed at their affected outputs by SparseDepthwise, against
// the direct sum over every tap of every output: equal where reached, untouched elsewhere.
// With 11 `channels` a block of eight is summed together and three alone.
void check(SparseDepthwise& sd, const Window& w, const std::vector<int64_t>& pixels, int seed,
           int64_t channels = 3) {
  const int64_t taps = w.kernel_size(), in = w.in_size(), P = w.out_size();
  const auto n = static_cast<int64_t>(pixels.size());
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(-8, 7), weight(-127, 127);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  std::vector<float> levels(static_cast<size_t>(channels * n)), weights(static_cast<size_t>(channels * taps));
  for (float& l : levels) l = static_cast<float>(level(rng));
  for (float& k : weights) k = static_cast<float>(weight(rng));
  std::vector<float> multiplier(static_cast<size_t>(channels));
  for (size_t c = 0; c < multiplier.size(); ++c)
    multiplier[c] = std::ldexp(1.0f + 0.25f * static_cast<float>(c % 4), -static_cast<int>(c % 5));
  std::vector<int64_t> index(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) index[static_cast<size_t>(j)] = j;
  std::vector<float> image(static_cast<size_t>(channels * in), 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t j = 0; j < n; ++j)
      image[static_cast<size_t>(c * in + pixels[static_cast<size_t>(j)])] = levels[static_cast<size_t>(c * n + j)];

  std::vector<uint8_t> mark;
  std::vector<int64_t> outputs;
  affected_outputs(w, TapReach(w), pixels, mark, outputs);
  std::vector<float> out(static_cast<size_t>(channels * P));
  for (float& o : out) o = value(rng);
  const std::vector<float> before = out;
  sd.reset(w, channels);
  sd.place(pixels, index, levels.data(), n);
  sd.add_sums(outputs, weights.data(), multiplier.data(), out.data());
  sd.clear();

  const std::set<int64_t> reached(outputs.begin(), outputs.end());
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t oy = 0; oy < w.out[0]; ++oy)
      for (int64_t ox = 0; ox < w.out[1]; ++ox) {
        float sum = 0.0f;
        for (int64_t ky = 0; ky < w.kernel[0]; ++ky)
          for (int64_t kx = 0; kx < w.kernel[1]; ++kx) {
            const int64_t iy = oy * w.stride[0] - w.pad_begin[0] + ky;
            const int64_t ix = ox * w.stride[1] - w.pad_begin[1] + kx;
            if (iy < 0 || iy >= w.in[0] || ix < 0 || ix >= w.in[1]) continue;
            sum += weights[static_cast<size_t>(c * taps + ky * w.kernel[1] + kx)] *
                   image[static_cast<size_t>(c * in + iy * w.in[1] + ix)];
          }
        const int64_t p = oy * w.out[1] + ox;
        const auto at = static_cast<size_t>(c * P + p);
        const float want = reached.count(p) ? std::fma(sum, multiplier[static_cast<size_t>(c)], before[at])
                                            : before[at];
        ASSERT_EQ(out[at], want) << "channel " << c << " output (" << oy << ", " << ox << ")";
      }
}

TEST(SparseDepthwise, EqualsTheDirectSumsAtTheReachedOutputs) {
  SparseDepthwise sd;
  const std::vector<Window> windows = {
      conv_window(16, 40, 3, 3, 1, {1, 1, 1, 1}),  // rows wider than a vector, runs to join
      conv_window(17, 23, 5, 5, 2, {2, 2, 2, 2}),  // stride 2: four phase planes
      conv_window(9, 12, 3, 3, 2, {0, 1, 1, 0}),   // asymmetric pads
      conv_window(6, 70, 1, 3, 1, {0, 1, 0, 1}),   // a kernel of neither 9 nor 25 taps
  };
  int seed = 1;
  for (const Window& w : windows)
    for (size_t count : {size_t{1}, size_t{5}, static_cast<size_t>(w.in_size() / 3),
                         static_cast<size_t>(w.in_size())}) {  // every pixel: never dense now
      SCOPED_TRACE("window " + std::to_string(w.in[0]) + "x" + std::to_string(w.in[1]) + ", " +
                   std::to_string(count) + " pixels");
      check(sd, w, random_pixels(w, count, seed), seed);  // planes reused: they must be zeros again
      check(sd, w, random_pixels(w, count, seed + 100), seed, 11);
      ++seed;
    }
}

// Stride 2 without padding: the last row and column of an even-sized input are read by no window
// and are left out of the planes.
TEST(SparseDepthwise, PixelsNoWindowReads) {
  SparseDepthwise sd;
  const Window w = conv_window(8, 8, 3, 3, 2, {0, 0, 0, 0});
  ASSERT_EQ(w.out[0], 3);
  check(sd, w, {7, 15, 56, 62, 63, 0}, 3);
  check(sd, w, random_pixels(w, 20, 4), 4);
}

TEST(SparseDepthwise, FitsUndilatedTwoDimensionalWindowsOnly_n) {
  EXPECT_TRUE(SparseDepthwise::fits(conv_window(8, 8, 3, 3, 1, {1, 1, 1, 1})));
  EXPECT_FALSE(SparseDepthwise::fits(conv_window(8, 8, 3, 3, 1, {2, 2, 2, 2}, 2)));
  WindowAttrs a;
  EXPECT_FALSE(SparseDepthwise::fits(forward_window(a, {8}, {3})));
}

}  // namespace
}  // namespace resq
