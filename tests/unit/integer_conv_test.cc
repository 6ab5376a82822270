#include "engine/quant/integer_conv.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

Tensor random_levels(Shape shape, int bits, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
  Tensor t(std::move(shape));
  for (float& v : t.floats()) v = static_cast<float>(d(rng));
  return t;
}

Node conv_node(const Attributes& a, const std::string& type = "Conv") {
  Node n;
  n.name = "conv";
  n.op_type = type;
  n.attrs = a;
  return n;
}

struct ConvCase {
  std::string name;
  Shape x, w;
  Attributes attrs;
};

class IntegerConvCases : public ::testing::TestWithParam<ConvCase> {};

// The integer kernel's sums equal the float Conv op's on the same levels, bit for bit.
TEST_P(IntegerConvCases, EqualsFloatConvOnLevels) {
  const ConvCase& c = GetParam();
  std::mt19937 rng(11);
  const Tensor x = random_levels(c.x, 8, rng), w = random_levels(c.w, 8, rng);
  std::optional<IntegerConv> conv = IntegerConv::make(conv_node(c.attrs), c.x, w);
  ASSERT_TRUE(conv);
  ASSERT_TRUE(float_sums_exact(conv->depth(), 8, 8));
  const Tensor want = run_op("Conv", c.attrs, {&x, &w})[0];
  Tensor got;
  IntegerConvScratch scratch;
  conv->run(x, got, scratch);
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_EQ(values(got), values(want));
  conv->run(x, got, scratch);  // scratch reuse
  EXPECT_EQ(values(got), values(want));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, IntegerConvCases,
    ::testing::Values(
        ConvCase{"pointwise", {1, 24, 16, 16}, {40, 24, 1, 1}, {}},
        ConvCase{"pointwise_batch2_odd", {2, 7, 5, 9}, {13, 7, 1, 1}, {}},
        ConvCase{"first_layer_3x3_s2", {1, 3, 33, 32}, {16, 3, 3, 3},
                 attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}})},
        ConvCase{"k5_dilated_asym_pads", {1, 4, 12, 10}, {6, 4, 5, 3},
                 attrs({{"dilations", Ints{2, 1}}, {"pads", Ints{3, 0, 1, 2}}})},
        ConvCase{"strided_pointwise", {1, 8, 9, 9}, {5, 8, 1, 1}, attrs({{"strides", Ints{2, 2}}})},
        ConvCase{"conv1d", {1, 5, 50}, {7, 5, 3}, attrs({{"pads", Ints{1, 1}}})},
        ConvCase{"deep_1024", {1, 1024, 4, 4}, {6, 1024, 1, 1}, {}}),
    [](const ::testing::TestParamInfo<ConvCase>& i) { return i.param.name; });

TEST(IntegerConv, OnlyGroupOneConvsHaveAKernel) {
  std::mt19937 rng(1);
  const Tensor dw = random_levels({8, 1, 3, 3}, 8, rng);
  EXPECT_FALSE(IntegerConv::make(conv_node(attrs({{"group", int64_t{8}}})), {1, 8, 6, 6}, dw));
  const Tensor wt = random_levels({8, 4, 3, 3}, 8, rng);
  EXPECT_FALSE(IntegerConv::make(conv_node({}, "ConvTranspose"), {1, 8, 6, 6}, wt));
}

TEST(IntegerConv, WeightsThatAreNotLevels_n) {
  Tensor w({2, 2, 1, 1});
  w.floats()[0] = 0.25f;
  EXPECT_THROW(IntegerConv::make(conv_node({}), {1, 2, 3, 3}, w), std::invalid_argument);
}

}  // namespace
}  // namespace resq
