#include "engine/quant/uniform_quantizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

std::vector<float> quantized(const UniformQuantizer& q, std::vector<float> x) {
  q.apply(x);
  return x;
}

// Range +-1.5 at 2 bits: s = 2 * 1.5 / 3 = 1, levels -2..1. The negative side reaches -2 while
// the positive side stops at 1; ties round to even.
TEST(UniformQuantizer, TwoBitsByHand) {
  const UniformQuantizer q(2, -1.5, 1.5);
  EXPECT_EQ(q.scale(), 1.0);
  EXPECT_EQ(q.level_min(), -2);
  EXPECT_EQ(q.level_max(), 1);
  EXPECT_EQ(quantized(q, {-3, -1.6f, -1.5f, -0.5f, 0.4f, 0.5f, 1.49f, 1.5f, 2}),
            (std::vector<float>{-2, -2, -2, 0, 0, 0, 1, 1, 1}));
}

// Clip 1.75 at 3 bits: s = 3.5 / 7 = 0.5, levels -4..3 -> grid {-2, ..., 1.5}.
TEST(UniformQuantizer, ThreeBitsByHand) {
  const UniformQuantizer q = UniformQuantizer::from_clip(3, 1.75);
  EXPECT_EQ(q.scale(), 0.5);
  EXPECT_EQ(quantized(q, {-2.5f, -2.1f, -0.25f, 0.25f, 0.75f, 1.4f, 1.75f, 5}),
            (std::vector<float>{-2, -2, 0, 0, 1, 1.5f, 1.5f, 1.5f}));
}

// Range +-7.5 at 4 bits: s = 15 / 15 = 1, levels -8..7.
TEST(UniformQuantizer, FourBitsByHand) {
  const UniformQuantizer q(4, -7.5, 7.5);
  EXPECT_EQ(q.scale(), 1.0);
  EXPECT_EQ(quantized(q, {-9, -8.5f, -7.5f, -2.5f, 2.5f, 3.5f, 7.4f, 7.5f, 100}),
            (std::vector<float>{-8, -8, -8, -2, 2, 4, 7, 7, 7}));
}

// Range +-127.5 at 8 bits: s = 1, levels -128..127; ties go to the even level.
TEST(UniformQuantizer, EightBitsByHandRoundsHalfToEven) {
  const UniformQuantizer q = UniformQuantizer::from_clip(8, 127.5);
  EXPECT_EQ(q.level_min(), -128);
  EXPECT_EQ(q.level_max(), 127);
  EXPECT_EQ(quantized(q, {-200, -128.4f, -3.5f, -2.5f, -0.5f, 0.5f, 1.5f, 2.5f, 126.6f, 1000}),
            (std::vector<float>{-128, -128, -4, -2, 0, 0, 2, 2, 127, 127}));
}

// Range [-1, 2] at 8 bits: s = 2 * 2 / 255; 1 / s = 63.75 -> 64 -> 256 / 255.
TEST(UniformQuantizer, AsymmetricRangeUsesLargestMagnitude) {
  const UniformQuantizer q(8, -1, 2);
  EXPECT_EQ(q.clip(), 2.0);
  EXPECT_DOUBLE_EQ(q.scale(), 4.0 / 255);
  EXPECT_FLOAT_EQ(q.quantize(1.0f), 256.0f / 255);
  EXPECT_EQ(UniformQuantizer(3, -1.75, 0.5).scale(), 0.5);
  EXPECT_EQ(UniformQuantizer(3, 0.2, 1.75).scale(), 0.5);  // all-positive data
}

TEST(UniformQuantizer, ZeroRangeAndZeroBitsGiveZero) {
  for (const UniformQuantizer& q : {UniformQuantizer(4, 0, 0), UniformQuantizer::from_clip(0, 3)}) {
    EXPECT_EQ(q.scale(), 0.0);
    EXPECT_EQ(quantized(q, {1, -5, 0, 1e30f}), (std::vector<float>{0, 0, 0, 0}));
  }
  EXPECT_EQ(UniformQuantizer::from_clip(0, 3).bits(), 0);
  EXPECT_EQ(UniformQuantizer::from_clip(0, 3).level_max(), 0);
}

TEST(UniformQuantizer, NearFloatBitWidths) {
  const Tensor x = testing::random_tensor({1000}, 7);
  float max_abs = 0;
  for (float v : x.floats()) max_abs = std::max(max_abs, std::abs(v));
  const UniformQuantizer q32 = UniformQuantizer::from_clip(32, max_abs);
  const UniformQuantizer q16 = UniformQuantizer::from_clip(16, max_abs);
  EXPECT_EQ(q32.level_min(), -2147483648LL);
  EXPECT_EQ(q32.level_max(), 2147483647LL);
  for (float v : x.floats()) {
    EXPECT_NEAR(q32.quantize(v), v, 1e-6 * std::abs(v) + 1e-9);
    EXPECT_LE(std::abs(q16.quantize(v) - v), q16.scale() / 2 + 1e-7);  // + float rounding
  }
}

TEST(UniformQuantizer, VectorisedMatchesPerElement) {
  const Tensor x = testing::random_tensor({257}, 3);
  for (int bits : {2, 5, 8, 16}) {
    const UniformQuantizer q = UniformQuantizer::from_clip(bits, 0.6);
    std::vector<float> out(257);
    q.apply(x.floats(), out);
    std::vector<float> in_place(x.floats().begin(), x.floats().end());
    q.apply(in_place);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i], q.quantize(x.floats()[i])) << bits << " bits, index " << i;
      ASSERT_EQ(in_place[i], out[i]);
    }
  }
}

TEST(UniformQuantizer, InvalidBits_n) {
  for (int bits : {-1, 1, 9, 15, 17, 31, 33, 64}) {
    try {
      UniformQuantizer(bits, -1, 1);
      FAIL() << bits << " bits accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(bits) + " bits"), std::string::npos)
          << e.what();
    }
  }
}

TEST(UniformQuantizer, BadRangeOrSize_n) {
  EXPECT_THROW(UniformQuantizer(4, 1, -1), std::invalid_argument);
  EXPECT_THROW(UniformQuantizer(4, -1, std::nan("")), std::invalid_argument);
  EXPECT_THROW(UniformQuantizer(4, -INFINITY, 1), std::invalid_argument);
  EXPECT_THROW(UniformQuantizer::from_clip(4, -0.5), std::invalid_argument);
  std::vector<float> in(4), out(3);
  EXPECT_THROW(UniformQuantizer::from_clip(4, 1).apply(in, out), std::invalid_argument);
}

TEST(UniformQuantizer, LevelsTimesScaleIsTheFakeQuantizedValue) {
  std::vector<float> in;
  for (int i = -300; i <= 300; ++i) in.push_back(static_cast<float>(i) * 0.0137f);
  in.push_back(1e30f);
  in.push_back(-1e30f);
  for (int bits : {0, 2, 4, 8}) {
    const UniformQuantizer q = UniformQuantizer::from_clip(bits, 2.5);
    std::vector<float> levels(in.size()), fake(in.size());
    q.levels(in, levels);
    q.apply(in, fake);
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(levels[i], std::nearbyint(levels[i])) << bits << " bits, index " << i;
      ASSERT_GE(levels[i], static_cast<float>(q.level_min()));
      ASSERT_LE(levels[i], static_cast<float>(q.level_max()));
      ASSERT_EQ(static_cast<float>(q.scale()) * levels[i], fake[i]) << bits << " bits, index " << i;
    }
  }
}

TEST(UniformQuantizer, LevelsOfDifferenceEqualLevelsOfTheStoredDifference) {
  std::vector<float> a, b;
  for (int i = -200; i <= 200; ++i) {
    a.push_back(static_cast<float>(i) * 0.0173f);
    b.push_back(static_cast<float>(i % 7) * 0.31f - 0.9f);
  }
  for (int bits : {0, 4, 8}) {
    const UniformQuantizer q = UniformQuantizer::from_clip(bits, 1.5);
    std::vector<float> d(a.size()), want(a.size()), got(a.size());
    for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
    q.levels(d, want);
    q.levels_of_difference(a, b, got);
    EXPECT_EQ(got, want) << bits << " bits";
  }
}

TEST(UniformQuantizer, NoLevelsAboveEightBits_n) {
  std::vector<float> in(2), out(2);
  EXPECT_THROW(UniformQuantizer::from_clip(16, 1).levels(in, out), std::logic_error);
  EXPECT_THROW(UniformQuantizer::from_clip(16, 1).levels_of_difference(in, in, out), std::logic_error);
  EXPECT_THROW(UniformQuantizer::from_clip(4, 1).levels_of_difference(in, std::span<float>(out.data(), 1), out),
               std::invalid_argument);
  EXPECT_THROW(UniformQuantizer::from_clip(4, 1).levels(in, std::span<float>(out.data(), 1)),
               std::invalid_argument);
}

}  // namespace
}  // namespace resq
