#include <gtest/gtest.h>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

// numpy.matmul by definition: 1-D operands promoted then squeezed, batch dims broadcast.
Tensor matmul_ref(const Tensor& a, const Tensor& b) {
  Shape as = a.shape(), bs = b.shape();
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const size_t r = std::max(as.size(), bs.size()) - 2;
  while (as.size() < r + 2) as.insert(as.begin(), 1);
  while (bs.size() < r + 2) bs.insert(bs.begin(), 1);
  Shape batch;
  for (size_t d = 0; d < r; ++d) batch.push_back(std::max(as[d], bs[d]));
  Shape full = batch;
  full.push_back(m);
  full.push_back(n);
  Tensor y(full);
  for_each_index(full, [&](const std::vector<int64_t>& yi) {
    double s = 0;
    for (int64_t p = 0; p < k; ++p) {
      std::vector<int64_t> ai, bi;
      for (size_t d = 0; d < r; ++d) {
        ai.push_back(as[d] == 1 ? 0 : yi[d]);
        bi.push_back(bs[d] == 1 ? 0 : yi[d]);
      }
      ai.insert(ai.end(), {yi[r], p});
      bi.insert(bi.end(), {p, yi[r + 1]});
      s += static_cast<double>(a.f32()[flat_index(as, ai)]) * b.f32()[flat_index(bs, bi)];
    }
    y.f32()[flat_index(full, yi)] = static_cast<float>(s);
  });
  Shape out = batch;
  if (!a_vec) out.push_back(m);
  if (!b_vec) out.push_back(n);
  y.reshape(out);
  return y;
}

TEST(MatMul, ShapesAndBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},
      {{4}, {4, 5}},
      {{3, 4}, {4}},
      {{4}, {4}},
      {{2, 3, 4}, {4, 5}},
      {{4, 5}, {2, 5, 3}},
      {{2, 3, 4}, {2, 4, 5}},
      {{2, 1, 3, 4}, {5, 4, 2}},
      {{1, 3, 4}, {6, 4, 2}},
      {{3, 1, 2, 4}, {1, 2, 4, 3}},
      {{2, 3, 4}, {4}},
      {{4}, {3, 4, 2}},
      {{1, 1, 3, 4}, {1, 4, 5}},
  };
  uint32_t seed = 1;
  for (const auto& [as, bs] : cases) {
    SCOPED_TRACE(shape_str(as) + " x " + shape_str(bs));
    Tensor a = random_tensor(as, seed++), b = random_tensor(bs, seed++);
    expect_near(run_op("MatMul", {}, {&a, &b})[0], matmul_ref(a, b));
  }
}

TEST(MatMul, KnownValuesAndMacs) {
  Tensor a = Tensor::from_floats({2, 2}, std::vector<float>{1, 2, 3, 4});
  Tensor b = Tensor::from_floats({2, 2}, std::vector<float>{5, 6, 7, 8});
  auto y = run_op("MatMul", {}, {&a, &b});
  EXPECT_EQ(std::vector<float>(y[0].floats().begin(), y[0].floats().end()),
            (std::vector<float>{19, 22, 43, 50}));
  Tensor p = random_tensor({2, 1, 3, 4}, 1), q = random_tensor({5, 4, 6}, 2);
  EXPECT_EQ(op_macs("MatMul", {}, {&p, &q}), 2 * 5 * 3 * 6 * 4);
  Tensor v = random_tensor({4}, 3);
  EXPECT_EQ(op_macs("MatMul", {}, {&v, &v}), 4);
}

TEST(MatMul, Errors_n) {
  Tensor a = random_tensor({3, 4}, 1), b = random_tensor({5, 2}, 2), s = random_tensor({}, 3);
  Tensor ba = random_tensor({2, 3, 4}, 4), bb = random_tensor({3, 4, 2}, 5),
         ai({3, 4}, DType::kInt64);
  Tensor b4 = random_tensor({4, 2}, 6);
  EXPECT_THROW(run_op("MatMul", {}, {&a, &b}), OpError);    // inner dims
  EXPECT_THROW(run_op("MatMul", {}, {&ba, &bb}), OpError);  // batch 2 vs 3
  EXPECT_THROW(run_op("MatMul", {}, {&s, &b4}), OpError);   // scalar operand
  EXPECT_THROW(run_op("MatMul", {}, {&ai, &b4}), OpError);  // int64
  EXPECT_THROW(run_op("MatMul", {}, {&a}), OpError);        // one input
  EXPECT_THROW(run_op("MatMul", {}, {&a, nullptr}), OpError);
}

}  // namespace
}  // namespace resq
