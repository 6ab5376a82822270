#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine/error.h"
#include "engine/op_registry.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::run_op;
using testing::floats;

Tensor ramp(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return floats(s, v);
}

Attributes perm(std::vector<int64_t> p) {
  Attributes a;
  a.set("perm", std::move(p));
  return a;
}

TEST(Transpose, DefaultReverses2D) {
  Tensor x = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  auto y = run_op("Transpose", {}, {&x});
  EXPECT_EQ(y[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(std::vector<float>(y[0].floats().begin(), y[0].floats().end()),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

// Every permutation of a 4-D tensor of shape s against a direct index computation.
void expect_all_permutations_match_naive(const Shape& s) {
  Tensor x = ramp(s);
  std::vector<int64_t> p = {0, 1, 2, 3};
  do {
    auto y = run_op("Transpose", perm(p), {&x});
    Shape os(4);
    for (size_t d = 0; d < 4; ++d) os[d] = s[static_cast<size_t>(p[d])];
    ASSERT_EQ(y[0].shape(), os);
    int64_t k = 0;
    int64_t o[4];
    for (o[0] = 0; o[0] < os[0]; ++o[0])
      for (o[1] = 0; o[1] < os[1]; ++o[1])
        for (o[2] = 0; o[2] < os[2]; ++o[2])
          for (o[3] = 0; o[3] < os[3]; ++o[3], ++k) {
            int64_t i[4];
            for (size_t d = 0; d < 4; ++d) i[p[d]] = o[d];
            const int64_t src = ((i[0] * s[1] + i[1]) * s[2] + i[2]) * s[3] + i[3];
            ASSERT_EQ(y[0].f32()[k], static_cast<float>(src))
                << shape_str(s) << " perm " << p[0] << p[1] << p[2] << p[3] << " at " << k;
          }
  } while (std::next_permutation(p.begin(), p.end()));
}

TEST(Transpose, AllPermutationsOfRank4MatchNaive) {
  expect_all_permutations_match_naive({2, 3, 4, 5});
  // Size-1 dims (dropped), merged runs, 2-D and batched 2-D transposes across 32-element tiles.
  expect_all_permutations_match_naive({1, 37, 40, 3});
  expect_all_permutations_match_naive({1, 1, 70, 65});
  expect_all_permutations_match_naive({2, 1, 33, 1});
  expect_all_permutations_match_naive({3, 70, 1, 5});
  expect_all_permutations_match_naive({1, 1, 1, 1});
  // 2, 3 and 4 columns (NHWC -> NCHW of 2-, 3- and 4-channel images) split row by row.
  expect_all_permutations_match_naive({1, 9, 7, 2});
  expect_all_permutations_match_naive({1, 5, 13, 4});
}

TEST(Transpose, Int64AndRank1) {
  std::vector<int64_t> v = {1, 2, 3, 4, 5, 6};
  Tensor x = Tensor::from_ints({1, 2, 3}, v);
  auto y = run_op("Transpose", perm({2, 0, 1}), {&x});
  EXPECT_EQ(y[0].shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(std::vector<int64_t>(y[0].ints().begin(), y[0].ints().end()),
            (std::vector<int64_t>{1, 4, 2, 5, 3, 6}));
  Tensor r1 = floats({3}, {1, 2, 3});
  EXPECT_EQ(run_op("Transpose", {}, {&r1})[0].f32()[2], 3);
}

TEST(Transpose, NotAPermutation_n) {
  Tensor x = ramp({2, 3, 4});
  EXPECT_THROW(run_op("Transpose", perm({0, 0, 1}), {&x}), OpError);
  EXPECT_THROW(run_op("Transpose", perm({0, 1, 3}), {&x}), OpError);
  EXPECT_THROW(run_op("Transpose", perm({-1, 0, 1}), {&x}), OpError);
  EXPECT_THROW(run_op("Transpose", perm({1, 0}), {&x}), OpError);
}

TEST(Transpose, WrongInputCount_n) {
  Tensor x = ramp({2});
  EXPECT_THROW(run_op("Transpose", {}, {}), OpError);
  EXPECT_THROW(run_op("Transpose", {}, {&x, &x}), OpError);
}

}  // namespace
}  // namespace resq
