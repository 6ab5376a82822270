#include "engine/tensor.h"

#include <gtest/gtest.h>

#include <vector>

namespace resq {
namespace {

TEST(Tensor, ZeroFilledAndShaped) {
  Tensor t({2, 3}, DType::kFloat32);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.rank(), 2);
  for (float v : t.floats()) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(shape_str(t.shape()), "2x3");
  EXPECT_EQ(shape_str({}), "scalar");
}

TEST(Tensor, CopyIsDeep) {
  std::vector<float> v = {1, 2, 3};
  Tensor a = Tensor::from_floats({3}, v);
  Tensor b = a;
  b.f32()[0] = 9;
  EXPECT_EQ(a.f32()[0], 1);
  EXPECT_EQ(b.f32()[0], 9);
}

TEST(Tensor, FromFloatsWrongCount_n) {
  std::vector<float> v = {1, 2};
  EXPECT_THROW(Tensor::from_floats({3}, v), std::invalid_argument);
}

TEST(Tensor, ReshapeKeepsCount_n) {
  Tensor t({2, 3});
  t.reshape({3, 2});
  EXPECT_EQ(t.dim(0), 3);
  EXPECT_THROW(t.reshape({4, 2}), std::invalid_argument);
}

TEST(Tensor, NegativeDim_n) { EXPECT_THROW(Tensor({-1, 2}), std::invalid_argument); }

}  // namespace
}  // namespace resq
