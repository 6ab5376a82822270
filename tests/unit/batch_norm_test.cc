#include <gtest/gtest.h>

#include <cmath>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

struct Params {
  Tensor scale, bias, mean, var;
};

Params params(int64_t c, uint32_t seed) {
  Params p{random_tensor({c}, seed), random_tensor({c}, seed + 1), random_tensor({c}, seed + 2),
           random_tensor({c}, seed + 3)};
  for (float& v : p.var.floats()) v = std::abs(v) + 0.1f;
  return p;
}

// y = (x - mean) / sqrt(var + eps) * scale + bias per channel (axis 1).
Tensor bn_ref(const Tensor& x, const Params& p, const float* mean, const float* var, float eps) {
  Tensor y(x.shape());
  const int64_t c = x.dim(1), plane = x.numel() / (x.dim(0) * c);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t ch = i / plane % c;
    y.f32()[i] =
        static_cast<float>((x.f32()[i] - mean[ch]) / std::sqrt(static_cast<double>(var[ch]) + eps) *
                               p.scale.f32()[ch] +
                           p.bias.f32()[ch]);
  }
  return y;
}

TEST(BatchNorm, InferenceMatchesFormula) {
  for (const Shape& s : {Shape{2, 3, 4, 5}, Shape{4, 3}, Shape{2, 3, 7}, Shape{1, 3, 2, 2, 2}}) {
    SCOPED_TRACE(shape_str(s));
    Tensor x = random_tensor(s, 1);
    Params p = params(3, 10);
    auto y = run_op("BatchNormalization", attrs({{"epsilon", 1e-3f}}),
                    {&x, &p.scale, &p.bias, &p.mean, &p.var});
    ASSERT_EQ(y.size(), 1u);
    expect_near(y[0], bn_ref(x, p, p.mean.f32(), p.var.f32(), 1e-3f));
  }
}

TEST(BatchNorm, DefaultEpsilon) {
  Tensor x = random_tensor({1, 2, 3, 3}, 2);
  Params p = params(2, 20);
  auto y = run_op("BatchNormalization", {}, {&x, &p.scale, &p.bias, &p.mean, &p.var});
  expect_near(y[0], bn_ref(x, p, p.mean.f32(), p.var.f32(), 1e-5f));
}

TEST(BatchNorm, TrainingModeUsesBatchStatistics) {
  Tensor x = random_tensor({3, 2, 4, 5}, 3);
  Params p = params(2, 30);
  const float momentum = 0.8f;
  auto y =
      run_op("BatchNormalization", attrs({{"training_mode", int64_t{1}}, {"momentum", momentum}}),
             {&x, &p.scale, &p.bias, &p.mean, &p.var});
  ASSERT_EQ(y.size(), 3u);
  float mean[2], var[2];
  for (int64_t ch = 0; ch < 2; ++ch) {
    double s = 0, s2 = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < x.numel(); ++i)
      if (i / 20 % 2 == ch) {
        s += x.f32()[i];
        s2 += static_cast<double>(x.f32()[i]) * x.f32()[i];
        ++n;
      }
    mean[ch] = static_cast<float>(s / static_cast<double>(n));
    var[ch] = static_cast<float>(s2 / static_cast<double>(n) -
                                 (s / static_cast<double>(n)) * (s / static_cast<double>(n)));
    EXPECT_NEAR(y[1].f32()[ch], p.mean.f32()[ch] * momentum + mean[ch] * (1 - momentum), 1e-5);
    EXPECT_NEAR(y[2].f32()[ch], p.var.f32()[ch] * momentum + var[ch] * (1 - momentum), 1e-5);
  }
  expect_near(y[0], bn_ref(x, p, mean, var, 1e-5f));
}

TEST(BatchNorm, MacsAreZero) {
  Tensor x = random_tensor({1, 2, 3, 3}, 4);
  Params p = params(2, 40);
  EXPECT_EQ(op_macs("BatchNormalization", {}, {&x, &p.scale, &p.bias, &p.mean, &p.var}), 0);
}

TEST(BatchNorm, Errors_n) {
  Tensor x = random_tensor({1, 3, 4, 4}, 5), x1 = random_tensor({3}, 6),
         xi({1, 3, 4, 4}, DType::kInt64);
  Params p = params(3, 50), q = params(4, 60);
  Tensor p2d = random_tensor({1, 3}, 7);
  auto throws = [&](const Attributes& a, const std::vector<const Tensor*>& in) {
    EXPECT_THROW(run_op("BatchNormalization", a, in), OpError);
  };
  throws({}, {&x, &q.scale, &p.bias, &p.mean, &p.var});   // scale of 4 for 3 channels
  throws({}, {&x, &p.scale, &p.bias, &p.mean, &q.var});   // var of 4
  throws({}, {&x, &p2d, &p.bias, &p.mean, &p.var});       // scale rank 2
  throws({}, {&x, &p.scale, &p.bias, &p.mean});           // 4 inputs
  throws({}, {&x, &p.scale, &p.bias, &p.mean, nullptr});  // absent var
  throws({}, {&x1, &p.scale, &p.bias, &p.mean, &p.var});  // rank 1
  throws({}, {&xi, &p.scale, &p.bias, &p.mean, &p.var});  // int64
  throws(attrs({{"training_mode", int64_t{2}}}), {&x, &p.scale, &p.bias, &p.mean, &p.var});
  throws(attrs({{"epsilon", -1.0f}}), {&x, &p.scale, &p.bias, &p.mean, &p.var});
}

}  // namespace
}  // namespace resq
