#include "engine/quant/range_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "engine/quant/weight_quantizer.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::attrs;
using testing::run_op;

const LayerForward kIdentity = [](const Tensor& in, Tensor& out) { out = in; };

Tensor filled(std::vector<float> v) {
  return Tensor::from_floats({static_cast<int64_t>(v.size())}, v);
}

// Eq. 1 written out independently: round, then clamp, in double.
double naive_quantize(double x, int bits, double clip) {
  if (bits == 0 || clip == 0) return 0;
  const double s = 2 * clip / (std::pow(2.0, bits) - 1);
  const double level = std::clamp(std::nearbyint(x / s), -std::pow(2.0, bits - 1),
                                  std::pow(2.0, bits - 1) - 1);
  return level * s;
}

// Brute force over the documented grid k / r * max|X|: the index of the first minimum.
size_t brute_force_best(const std::vector<Tensor>& xs, const std::vector<Tensor>& refs,
                        const LayerForward& forward, int bits, int r) {
  double max_abs = 0;
  for (const Tensor& x : xs)
    for (float v : x.floats()) max_abs = std::max(max_abs, std::abs(double{v}));
  size_t best = 0;
  double best_error = INFINITY;
  for (int k = 1; k <= r; ++k) {
    double error = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      Tensor q = xs[i];
      for (float& v : q.floats()) v = static_cast<float>(naive_quantize(v, bits, max_abs * k / r));
      Tensor y(refs[i].shape());
      forward(q, y);
      for (int64_t j = 0; j < y.numel(); ++j)
        error += std::pow(double{refs[i].f32()[j]} - y.f32()[j], 2);
    }
    if (error < best_error) {
      best_error = error;
      best = static_cast<size_t>(k - 1);
    }
  }
  return best;
}

// Identity layer, 2 bits, r = 2 -> clips 1.5 (s = 1, grid -2..1) and 3 (s = 2, grid -4..2).
// Eight 1.2s and one 3: clip 1.5 costs 8 * 0.2^2 + 2^2 = 4.32, clip 3 costs 8 * 0.8^2 + 1^2 =
// 6.12, so clipping the outlier wins. With only two 1.2s: 4.08 vs 2.28, the full range wins.
TEST(RangeSearch, AnalyticOutlierCase) {
  const std::vector<Tensor> many{filled({1.2f, 1.2f, 1.2f, 1.2f}),
                                 filled({1.2f, 1.2f, 1.2f, 1.2f, 3})};
  const RangeSearchResult clipped = search_activation_range(many, many, kIdentity, 2, 2);
  EXPECT_EQ(clipped.clips, (std::vector<double>{1.5, 3}));
  ASSERT_EQ(clipped.errors.size(), 2u);
  EXPECT_NEAR(clipped.errors[0], std::sqrt(4.32), 1e-5);
  EXPECT_NEAR(clipped.errors[1], std::sqrt(6.12), 1e-5);
  EXPECT_EQ(clipped.best, 0u);
  EXPECT_EQ(clipped.quantizer.clip(), 1.5);
  EXPECT_EQ(clipped.quantizer.bits(), 2);

  const std::vector<Tensor> few{filled({1.2f, 1.2f, 3})};
  const RangeSearchResult full = search_activation_range(few, few, kIdentity, 2, 2);
  EXPECT_NEAR(full.errors[0], std::sqrt(4.08), 1e-5);
  EXPECT_NEAR(full.errors[1], std::sqrt(2.28), 1e-5);
  EXPECT_EQ(full.best, 1u);
  EXPECT_EQ(full.quantizer.clip(), 3.0);
}

// A Conv from the op registry with 8-bit per-channel weights; the float layer is the reference.
class RangeSearchConv : public ::testing::Test {
 protected:
  RangeSearchConv()
      : w_(testing::random_tensor({4, 3, 3, 3}, 5)),
        b_(testing::random_tensor({4}, 6)),
        w_q_(quantize_weight(w_, 8, WeightGranularity::kPerChannel, 0).weight) {}

  std::vector<Tensor> calibration(float outlier) const {
    std::vector<Tensor> xs;
    for (uint32_t seed = 0; seed < 4; ++seed) {
      Tensor x = testing::random_tensor({1, 3, 8, 8}, 100 + seed);
      if (seed == 2) x.f32()[37] = outlier;
      xs.push_back(std::move(x));
    }
    return xs;
  }
  std::vector<Tensor> reference(const std::vector<Tensor>& xs) const {
    std::vector<Tensor> ys;
    for (const Tensor& x : xs) ys.push_back(run_op("Conv", conv_attrs_, {&x, &w_, &b_})[0]);
    return ys;
  }
  LayerForward quantized_layer() const {
    return [this](const Tensor& in, Tensor& out) {
      out = run_op("Conv", conv_attrs_, {&in, &w_q_, &b_})[0];
    };
  }

  Attributes conv_attrs_ = attrs({{"pads", testing::Ints{1, 1, 1, 1}}});
  Tensor w_, b_, w_q_;
};

TEST_F(RangeSearchConv, RareOutlierIsClipped) {
  const std::vector<Tensor> xs = calibration(12.0f);
  const std::vector<Tensor> ys = reference(xs);
  const RangeSearchResult r = search_activation_range(xs, ys, quantized_layer(), 4, 20);
  ASSERT_EQ(r.clips.size(), 20u);
  EXPECT_DOUBLE_EQ(r.clips.back(), 12.0);
  EXPECT_EQ(r.best, brute_force_best(xs, ys, quantized_layer(), 4, 20));
  EXPECT_LT(r.best, 19u);
  EXPECT_DOUBLE_EQ(r.quantizer.clip(), 12.0 * static_cast<double>(r.best + 1) / 20);
  for (double e : r.errors) EXPECT_GE(e, r.errors[r.best]);
}

TEST_F(RangeSearchConv, FullRangeWinsWithoutOutliersAtEightBits) {
  const std::vector<Tensor> xs = calibration(-1.0f);
  const std::vector<Tensor> ys = reference(xs);
  const RangeSearchResult r = search_activation_range(xs, ys, quantized_layer(), 8, 20);
  EXPECT_EQ(r.best, brute_force_best(xs, ys, quantized_layer(), 8, 20));
  EXPECT_EQ(r.best, 19u);
  EXPECT_DOUBLE_EQ(r.quantizer.clip(), 1.0);
}

TEST(RangeSearch, ZeroBitsAndZeroDataAreTrivial) {
  const std::vector<Tensor> xs{filled({3, -4})};
  const RangeSearchResult none = search_activation_range(xs, xs, kIdentity, 0, 20);
  EXPECT_EQ(none.clips, std::vector<double>{4.0});
  EXPECT_NEAR(none.errors.at(0), 5.0, 1e-12);  // everything is lost: ||(3, -4)||
  EXPECT_EQ(none.quantizer.bits(), 0);

  const std::vector<Tensor> zeros{filled({0, 0, 0})};
  const RangeSearchResult zero = search_activation_range(zeros, zeros, kIdentity, 4, 20);
  EXPECT_EQ(zero.clips, std::vector<double>{0.0});
  EXPECT_EQ(zero.errors, std::vector<double>{0.0});
  EXPECT_EQ(zero.quantizer.scale(), 0.0);
}

TEST(RangeSearch, BadArguments_n) {
  const std::vector<Tensor> xs{filled({1, 2})};
  const std::vector<Tensor> two{filled({1, 2}), filled({1, 2})};
  EXPECT_THROW(search_activation_range({}, {}, kIdentity, 4, 20), std::invalid_argument);
  EXPECT_THROW(search_activation_range(xs, two, kIdentity, 4, 20), std::invalid_argument);
  EXPECT_THROW(search_activation_range(xs, xs, kIdentity, 4, 0), std::invalid_argument);
  EXPECT_THROW(search_activation_range(xs, xs, kIdentity, 9, 20), std::invalid_argument);
  const LayerForward wrong_shape = [](const Tensor&, Tensor& out) { out = Tensor({3}); };
  try {
    search_activation_range(xs, xs, wrong_shape, 4, 20);
    FAIL() << "wrong output shape accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layer output 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace resq
