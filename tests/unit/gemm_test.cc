#include "engine/ops/gemm.h"

#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

// Y = alpha * op(A) op(B) + beta * C, C broadcast from any of its allowed shapes.
Tensor gemm_ref(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb, float alpha,
                float beta) {
  const int64_t m = a.dim(ta ? 1 : 0), k = a.dim(ta ? 0 : 1), n = b.dim(tb ? 0 : 1);
  Tensor y({m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<double>(a.f32()[ta ? p * m + i : i * k + p]) *
             b.f32()[tb ? j * k + p : p * n + j];
      double cv = 0;
      if (c) {
        const int64_t ci = c->rank() == 2 && c->dim(0) > 1 ? i : 0;
        const int64_t cj = c->rank() >= 1 && c->shape().back() > 1 ? j : 0;
        cv = c->f32()[ci * (c->rank() == 2 ? c->dim(1) : 0) + cj];
      }
      y.f32()[i * n + j] = static_cast<float>(alpha * s + beta * cv);
    }
  return y;
}

TEST(Gemm, TransposesAlphaBetaAndBroadcasts) {
  const int64_t m = 5, k = 7, n = 6;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Shape& cs :
           {Shape{}, Shape{1}, Shape{n}, Shape{1, n}, Shape{m, 1}, Shape{m, n}, Shape{1, 1}}) {
        SCOPED_TRACE(std::to_string(ta) + std::to_string(tb) + " C " + shape_str(cs));
        Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, 1);
        Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 2);
        Tensor c = random_tensor(cs, 3);
        Attributes at = attrs(
            {{"transA", int64_t{ta}}, {"transB", int64_t{tb}}, {"alpha", 0.75f}, {"beta", -1.5f}});
        expect_near(run_op("Gemm", at, {&a, &b, &c})[0], gemm_ref(a, b, &c, ta, tb, 0.75f, -1.5f));
      }
}

TEST(Gemm, DefaultsAndNoC) {
  Tensor a = random_tensor({3, 4}, 4), b = random_tensor({4, 2}, 5), c = random_tensor({2}, 6);
  expect_near(run_op("Gemm", {}, {&a, &b})[0], gemm_ref(a, b, nullptr, false, false, 1, 0));
  expect_near(run_op("Gemm", {}, {&a, &b, nullptr})[0],
              gemm_ref(a, b, nullptr, false, false, 1, 0));
  expect_near(run_op("Gemm", {}, {&a, &b, &c})[0], gemm_ref(a, b, &c, false, false, 1, 1));
  // beta 0 ignores C even when it holds NaN.
  Tensor nan_c =
      Tensor::from_floats({1}, std::vector<float>{std::numeric_limits<float>::quiet_NaN()});
  expect_near(run_op("Gemm", attrs({{"beta", 0.0f}}), {&a, &b, &nan_c})[0],
              gemm_ref(a, b, nullptr, false, false, 1, 0));
  EXPECT_EQ(op_macs("Gemm", {}, {&a, &b, &c}), 3 * 4 * 2);
}

TEST(Gemm, LargeMatchesReference) {
  Tensor a = random_tensor({67, 129}, 7), b = random_tensor({129, 45}, 8),
         c = random_tensor({45}, 9);
  expect_near(run_op("Gemm", {}, {&a, &b, &c})[0], gemm_ref(a, b, &c, false, false, 1, 1), 1e-4f);
}

TEST(Gemm, SgemmZeroInnerDimension) {
  std::vector<float> c = {1, 2, 3, 4};
  sgemm(false, false, 2, 2, 0, 1.0f, nullptr, nullptr, 0.5f, c.data());
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1, 1.5f, 2}));
  sgemm(false, false, 2, 2, 0, 1.0f, nullptr, nullptr, 0.0f, c.data());
  EXPECT_EQ(c, (std::vector<float>{0, 0, 0, 0}));
}

TEST(Gemm, Errors_n) {
  Tensor a = random_tensor({3, 4}, 1), b = random_tensor({4, 5}, 2),
         b_bad = random_tensor({3, 5}, 3);
  Tensor a3 = random_tensor({1, 3, 4}, 4), c_bad = random_tensor({2, 5}, 5),
         c_bad2 = random_tensor({4}, 6);
  Tensor c3 = random_tensor({1, 3, 5}, 7), ai({3, 4}, DType::kInt64);
  auto throws = [&](const Attributes& at, const std::vector<const Tensor*>& in) {
    EXPECT_THROW(run_op("Gemm", at, in), OpError);
  };
  throws({}, {&a, &b_bad});                                // inner dims 4 vs 3
  throws(attrs({{"transA", int64_t{1}}}), {&a, &b});       // op(A) is 4x3
  throws(attrs({{"transB", int64_t{2}}}), {&a, &b});       // bad flag
  throws(attrs({{"alpha", std::string("x")}}), {&a, &b});  // attribute kind
  throws({}, {&a3, &b});                                   // rank 3
  throws({}, {&a, &b, &c_bad});                            // C rows 2 vs 3
  throws({}, {&a, &b, &c_bad2});                           // C cols 4 vs 5
  throws({}, {&a, &b, &c3});                               // C rank 3
  throws({}, {&ai, &b});                                   // int64
  throws({}, {&a});                                        // missing B
}

}  // namespace
}  // namespace resq
