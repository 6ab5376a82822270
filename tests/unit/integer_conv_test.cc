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
  std::string op = "Conv";
};
// GoogleTest prints a parameter it cannot print as its raw bytes, padding included (valgrind:
// uninitialised reads at test registration).
void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

class IntegerConvCases : public ::testing::TestWithParam<ConvCase> {};

// The integer kernel's sums equal the float op's on the same levels, bit for bit.
TEST_P(IntegerConvCases, EqualsFloatConvOnLevels) {
  const ConvCase& c = GetParam();
  std::mt19937 rng(11);
  const Tensor x = random_levels(c.x, 8, rng), w = random_levels(c.w, 8, rng);
  std::optional<IntegerConv> conv = IntegerConv::make(conv_node(c.attrs, c.op), c.x, w);
  ASSERT_TRUE(conv);
  ASSERT_TRUE(float_sums_exact(conv->depth(), 8, 8));
  const Tensor want = run_op(c.op, c.attrs, {&x, &w})[0];
  Tensor got;
  IntegerConvScratch scratch;
  conv->run(x, got, scratch);
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_EQ(values(got), values(want));
  conv->run(x, got, scratch);  // scratch reuse
  EXPECT_EQ(values(got), values(want));
}

// With a grid, values are mapped to its levels as they are read: the same sums as the levels,
// and an epilogue sees every output once (after col2im's overlapping adds for ConvTranspose).
TEST_P(IntegerConvCases, MapsValuesAndAppliesTheEpilogue) {
  const ConvCase& c = GetParam();
  std::mt19937 rng(12);
  std::normal_distribution<float> d(0.0f, 3.0f);
  Tensor x(c.x);
  for (float& v : x.floats()) v = d(rng);
  const Tensor w = random_levels(c.w, 8, rng);
  const LevelGrid grid{0.05f, -128.0f, 127.0f};
  Tensor levels(c.x);
  grid.map(x.f32(), x.numel(), levels.f32());
  std::optional<IntegerConv> conv = IntegerConv::make(conv_node(c.attrs, c.op), c.x, w);
  ASSERT_TRUE(conv);
  Tensor want, got;
  IntegerConvScratch scratch;
  conv->run(levels, want, scratch);
  const int64_t channels = want.shape()[1], plane = want.numel() / want.shape()[0] / channels;
  const std::vector<float> multiplier(static_cast<size_t>(channels), 0.5f);
  Epilogue e;
  e.multiplier = multiplier.data();
  e.plane = plane;
  e.channels = channels;
  e.activation = Epilogue::Activation::kRelu;
  e.apply(want.f32(), 0, want.numel());
  conv->run(x, got, scratch, &e, {&grid});
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
        ConvCase{"deep_1024", {1, 1024, 4, 4}, {6, 1024, 1, 1}, {}},
        // ConvTranspose: W is [C, M, k...]; tiles (stride = kernel), overlapping taps, pads and
        // output_padding, a batch of 2, 1-d.
        ConvCase{"transpose_2x2_s2", {1, 16, 8, 8}, {16, 1, 2, 2}, attrs({{"strides", Ints{2, 2}}}),
                 "ConvTranspose"},
        ConvCase{"transpose_3x3_s2_pads_outpad", {2, 5, 6, 7}, {5, 4, 3, 3},
                 attrs({{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 1}},
                        {"output_padding", Ints{1, 0}}}),
                 "ConvTranspose"},
        ConvCase{"transpose_1d_dilated", {1, 3, 20}, {3, 6, 4},
                 attrs({{"dilations", Ints{2}}}), "ConvTranspose"}),
    [](const ::testing::TestParamInfo<ConvCase>& i) { return i.param.name; });

TEST(IntegerConv, OnlyGroupOneConvsHaveAKernel) {
  std::mt19937 rng(1);
  const Tensor dw = random_levels({8, 1, 3, 3}, 8, rng);
  EXPECT_FALSE(IntegerConv::make(conv_node(attrs({{"group", int64_t{8}}})), {1, 8, 6, 6}, dw));
  const Tensor wt = random_levels({8, 2, 3, 3}, 8, rng);
  EXPECT_FALSE(IntegerConv::make(conv_node(attrs({{"group", int64_t{2}}}), "ConvTranspose"),
                                 {1, 8, 6, 6}, wt));
  EXPECT_TRUE(IntegerConv::make(conv_node({}, "ConvTranspose"), {1, 8, 6, 6}, wt));
  EXPECT_FALSE(IntegerConv::make(conv_node({}, "MatMul"), {1, 8, 6, 6}, wt));
}

TEST(IntegerConv, TransposedHasNoColumns_n) {
  std::mt19937 rng(2);
  const Tensor wt = random_levels({4, 2, 2, 2}, 8, rng);
  std::optional<IntegerConv> conv = IntegerConv::make(conv_node({}, "ConvTranspose"), {1, 4, 3, 3}, wt);
  ASSERT_TRUE(conv);
  std::vector<float> columns(16), acc(16);
  IntGemmScratch scratch;
  EXPECT_THROW(conv->run_columns(columns.data(), 1, acc.data(), scratch), std::logic_error);
}

// A 1x1 conv maps a residual x - x_k as it packs it (batch 2: each image its own x_k); other
// kernels refuse the difference rather than sum x alone.
TEST(IntegerConv, PointwiseMapsDifferences) {
  std::mt19937 rng(3);
  const Tensor w = random_levels({5, 6, 1, 1}, 4, rng);
  std::optional<IntegerConv> conv = IntegerConv::make(conv_node({}), {2, 6, 7, 9}, w);
  ASSERT_TRUE(conv && conv->maps_differences());
  std::normal_distribution<float> d(0.0f, 1.0f);
  Tensor x({2, 6, 7, 9}), x_k({2, 6, 7, 9}), levels({2, 6, 7, 9});
  for (float& v : x.floats()) v = d(rng);
  for (int64_t i = 0; i < x.numel(); ++i) x_k.floats()[i] = x.floats()[i] + 0.2f * d(rng);
  const UniformQuantizer q(4, -0.5, 0.5);
  q.levels_of_difference(x.floats(), x_k.floats(), levels.floats());
  Tensor want, got;
  IntegerConvScratch scratch;
  conv->run(levels, want, scratch);
  const LevelGrid grid = *q.grid();
  conv->run(x, got, scratch, nullptr, {&grid, x_k.f32()});
  EXPECT_EQ(values(got), values(want));

  const Tensor w3 = random_levels({5, 6, 3, 3}, 4, rng);
  std::optional<IntegerConv> conv3 = IntegerConv::make(conv_node({}), {2, 6, 7, 9}, w3);
  ASSERT_TRUE(conv3);
  EXPECT_FALSE(conv3->maps_differences());
  EXPECT_THROW(conv3->run(x, got, scratch, nullptr, {&grid, x_k.f32()}), std::logic_error);
}

TEST(IntegerConv, WeightsThatAreNotLevels_n) {
  Tensor w({2, 2, 1, 1});
  w.floats()[0] = 0.25f;
  EXPECT_THROW(IntegerConv::make(conv_node({}), {1, 2, 3, 3}, w), std::invalid_argument);
}

}  // namespace
}  // namespace resq
