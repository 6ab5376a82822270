#include "engine/resq/receptive_field.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace resq {
namespace {

Window window(int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  WindowAttrs a;
  a.strides = {stride, stride};
  a.pads = {pad, pad, pad, pad};
  a.dilations = {dilation, dilation};
  return forward_window(a, {h, w}, {k, k});
}

// For every window position, im2col of an image that is 1 at the given pixels and 0 elsewhere:
// the affected outputs are the columns with a non-zero entry, and gathered columns equal im2col's.
void check(const Window& w, const std::vector<int64_t>& pixels) {
  const int64_t channels = 2, taps = w.kernel_size(), P = w.out_size();
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> value(1.0f, 2.0f);
  std::vector<float> image(static_cast<size_t>(channels * w.in_size()), 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t p : pixels) image[static_cast<size_t>(c * w.in_size() + p)] = value(rng);
  std::vector<float> col(static_cast<size_t>(channels * taps * P));
  im2col(w, channels, image.data(), col.data());
  std::vector<int64_t> want;
  for (int64_t q = 0; q < P; ++q) {
    bool any = false;
    for (int64_t r = 0; r < channels * taps; ++r) any |= col[static_cast<size_t>(r * P + q)] != 0.0f;
    if (any) want.push_back(q);
  }
  std::vector<uint8_t> mark;
  std::vector<int64_t> got;
  affected_outputs(w, TapReach(w), pixels, mark, got);
  EXPECT_EQ(got, want);
  const auto n = static_cast<int64_t>(got.size());
  std::vector<float> gathered(static_cast<size_t>(channels * taps * n));
  std::vector<int64_t> origins;
  gather_columns(w, channels, image.data(), got, gathered.data(), origins);
  for (int64_t r = 0; r < channels * taps; ++r)
    for (int64_t j = 0; j < n; ++j)
      ASSERT_EQ(gathered[static_cast<size_t>(r * n + j)], col[static_cast<size_t>(r * P + got[static_cast<size_t>(j)])])
          << "row " << r << ", output " << got[static_cast<size_t>(j)];
}

TEST(ReceptiveField, MatchesIm2col) {
  const std::vector<int64_t> pixels = {0, 5, 17, 40, 63, 99, 143};  // corners, edges, inside
  check(window(12, 12, 3, 1, 1, 1), pixels);
  check(window(12, 12, 3, 2, 1, 1), pixels);   // stride 2: some pixels hit fewer outputs
  check(window(12, 12, 5, 2, 2, 1), pixels);
  check(window(12, 12, 3, 1, 2, 2), pixels);   // dilated
  check(window(12, 12, 1, 1, 0, 1), pixels);   // pointwise
  check(window(12, 12, 2, 3, 0, 1), pixels);   // stride > kernel: some pixels read by none
  check(window(12, 12, 3, 1, 1, 1), {});       // nothing active: no outputs
}

// mark_reached covers every output affected_outputs finds; with contiguous taps (no dilation,
// stride <= kernel) it is exactly those.
void check_marked(const Window& w, const std::vector<int64_t>& pixels, bool exact) {
  std::vector<uint8_t> scratch;
  std::vector<int64_t> want;
  const TapReach reach(w);
  affected_outputs(w, reach, pixels, scratch, want);
  ChangeMask got({1, 1, w.out[0], w.out[1]}, false);
  mark_reached(w, reach, pixels, got);
  for (int64_t q : want) EXPECT_TRUE(got.test(q / w.out[1], q % w.out[1])) << "output " << q;
  if (exact) {
    EXPECT_EQ(got.count(), static_cast<int64_t>(want.size()));
  } else {
    EXPECT_GE(got.count(), static_cast<int64_t>(want.size()));
  }
}

TEST(ReceptiveField, MarkReachedCoversAffectedOutputs) {
  const std::vector<int64_t> pixels = {0, 5, 17, 40, 63, 99, 143};
  check_marked(window(12, 12, 3, 1, 1, 1), pixels, true);
  check_marked(window(12, 12, 3, 2, 1, 1), pixels, true);
  check_marked(window(12, 12, 5, 2, 2, 1), pixels, true);
  check_marked(window(12, 12, 1, 1, 0, 1), pixels, true);
  check_marked(window(12, 12, 2, 3, 0, 1), pixels, true);  // pixels read by none mark nothing
  check_marked(window(12, 12, 3, 1, 2, 2), pixels, false);
  check_marked(window(12, 12, 3, 1, 1, 1), {}, true);
}

}  // namespace
}  // namespace resq
