#include <gtest/gtest.h>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

// Direct-loop reference: explicit pads (begin..., end...), all vectors one entry per spatial dim.
Tensor conv_ref(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group,
                const Ints& strides, const Ints& dilations, const Ints& pads) {
  const size_t r = static_cast<size_t>(x.rank() - 2);
  const int64_t c = x.dim(1), m = w.dim(0), cg = c / group, mg = m / group;
  Shape y_shape = {x.dim(0), m}, kernel(w.shape().begin() + 2, w.shape().end());
  for (size_t d = 0; d < r; ++d)
    y_shape.push_back((x.dim(static_cast<int>(d + 2)) + pads[d] + pads[d + r] -
                       (kernel[d] - 1) * dilations[d] - 1) /
                          strides[d] +
                      1);
  Tensor y(y_shape);
  for_each_index(y_shape, [&](const std::vector<int64_t>& yi) {
    double sum = b ? b->f32()[yi[1]] : 0.0;
    for (int64_t ci = 0; ci < cg; ++ci) {
      for_each_index(kernel, [&](const std::vector<int64_t>& k) {
        std::vector<int64_t> xi = {yi[0], yi[1] / mg * cg + ci}, wi = {yi[1], ci};
        for (size_t d = 0; d < r; ++d) {
          const int64_t p = yi[d + 2] * strides[d] - pads[d] + k[d] * dilations[d];
          if (p < 0 || p >= x.dim(static_cast<int>(d + 2))) return;
          xi.push_back(p);
          wi.push_back(k[d]);
        }
        sum += static_cast<double>(x.f32()[flat_index(x.shape(), xi)]) *
               w.f32()[flat_index(w.shape(), wi)];
      });
    }
    y.f32()[flat_index(y_shape, yi)] = static_cast<float>(sum);
  });
  return y;
}

struct Case {
  const char* name;
  Shape x, w;
  int64_t group;
  Ints strides, dilations, pads;  // empty: defaults
  bool bias;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ConvCases : public ::testing::TestWithParam<Case> {};

TEST_P(ConvCases, MatchesDirectLoop) {
  const Case& c = GetParam();
  const size_t r = c.x.size() - 2;
  Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2), b = random_tensor({c.w[0]}, 3);
  Attributes a = attrs({{"group", c.group}});
  if (!c.strides.empty()) a.set("strides", c.strides);
  if (!c.dilations.empty()) a.set("dilations", c.dilations);
  if (!c.pads.empty()) a.set("pads", c.pads);
  auto y = run_op("Conv", a, {&x, &w, c.bias ? &b : nullptr});
  if (!c.bias) y = run_op("Conv", a, {&x, &w});  // also the two-input form
  const Ints ones(r, 1);
  expect_near(
      y[0],
      conv_ref(x, w, c.bias ? &b : nullptr, c.group, c.strides.empty() ? ones : c.strides,
               c.dilations.empty() ? ones : c.dilations, c.pads.empty() ? Ints(2 * r, 0) : c.pads));
}

INSTANTIATE_TEST_SUITE_P(
    Conv, ConvCases,
    ::testing::Values(
        Case{"basic3x3", {1, 3, 7, 6}, {4, 3, 3, 3}, 1, {}, {}, {1, 1, 1, 1}, true},
        Case{"no_pads_no_bias", {2, 2, 5, 5}, {3, 2, 3, 3}, 1, {}, {}, {}, false},
        Case{"pointwise", {2, 5, 4, 3}, {7, 5, 1, 1}, 1, {}, {}, {}, true},
        Case{"pointwise_grouped", {1, 6, 4, 4}, {4, 3, 1, 1}, 2, {}, {}, {}, true},
        Case{"pointwise_stride2", {1, 3, 5, 5}, {2, 3, 1, 1}, 1, {2, 2}, {}, {}, true},
        Case{"pointwise_padded", {1, 3, 3, 3}, {2, 3, 1, 1}, 1, {}, {}, {1, 0, 0, 1}, true},
        Case{"groups", {2, 4, 6, 5}, {6, 2, 3, 3}, 2, {}, {}, {1, 1, 1, 1}, true},
        Case{"depthwise3x3", {2, 5, 9, 8}, {5, 1, 3, 3}, 5, {}, {}, {1, 1, 1, 1}, true},
        Case{"depthwise_multiplier2", {1, 3, 6, 6}, {6, 1, 3, 3}, 3, {}, {}, {1, 1, 1, 1}, true},
        Case{"depthwise5x5_stride2",
             {1, 4, 11, 10},
             {4, 1, 5, 5},
             4,
             {2, 2},
             {},
             {1, 1, 2, 2},
             true},
        Case{
            "depthwise3x3_stride2", {1, 3, 8, 8}, {3, 1, 3, 3}, 3, {2, 2}, {}, {0, 0, 1, 1}, false},
        Case{"depthwise_odd", {1, 2, 9, 11}, {2, 1, 2, 4}, 2, {3, 2}, {2, 3}, {2, 0, 1, 3}, true},
        Case{"depthwise_unused_input", {1, 2, 10, 11}, {2, 1, 3, 3}, 2, {4, 4}, {}, {}, true},
        Case{"depthwise_1x5", {1, 3, 6, 9}, {3, 1, 1, 5}, 3, {1, 2}, {}, {0, 2, 0, 2}, false},
        Case{"depthwise_batch2_stride2",
             {2, 3, 7, 7},
             {3, 1, 3, 3},
             3,
             {2, 2},
             {},
             {1, 1, 1, 1},
             true},
        Case{"depthwise_big_pads", {1, 2, 3, 3}, {2, 1, 3, 3}, 2, {}, {}, {4, 0, 0, 5}, true},
        // Stride-1 3x3 / 5x5 (the padded-plane paths; outputs under 64 wide read the plane as
        // one long row): rows wider than a vector, odd widths, asymmetric pads, no pads, a
        // single output row; and rows of 64 and more, row by row.
        Case{"depthwise3x3_wide", {1, 3, 5, 37}, {3, 1, 3, 3}, 3, {}, {}, {1, 1, 1, 1}, true},
        Case{"depthwise5x5_same", {2, 2, 9, 19}, {2, 1, 5, 5}, 2, {}, {}, {2, 2, 2, 2}, true},
        Case{"depthwise5x5_asym", {1, 2, 7, 23}, {4, 1, 5, 5}, 2, {}, {}, {0, 3, 4, 1}, false},
        Case{"depthwise3x3_valid", {1, 4, 6, 18}, {4, 1, 3, 3}, 4, {}, {}, {}, true},
        Case{"depthwise3x3_one_row", {1, 1, 3, 40}, {1, 1, 3, 3}, 1, {}, {}, {}, true},
        Case{"depthwise3x3_rows_of_64", {1, 2, 4, 64}, {2, 1, 3, 3}, 2, {}, {}, {1, 1, 1, 1}, true},
        Case{"depthwise5x5_rows_of_69", {1, 2, 6, 71}, {2, 1, 5, 5}, 2, {}, {}, {2, 1, 0, 1},
             false},
        Case{"depthwise3x3_rows_of_77", {1, 2, 5, 77}, {2, 1, 3, 3}, 2, {}, {}, {1, 1, 1, 1}, true},
        // Stride 2 on phase planes: odd and even padded widths, unused last input row and
        // column, pads on one side only; and a wide grid of 740 (blocks of 8 vectors, then
        // single vectors, then single floats).
        Case{"depthwise3x3_s2_wide", {1, 3, 9, 41}, {3, 1, 3, 3}, 3, {2, 2}, {}, {1, 1, 1, 1},
             true},
        Case{"depthwise3x3_s2_even", {1, 2, 8, 38}, {2, 1, 3, 3}, 2, {2, 2}, {}, {}, true},
        Case{"depthwise3x3_s2_one_side",
             {2, 2, 10, 35},
             {2, 1, 3, 3},
             2,
             {2, 2},
             {},
             {0, 1, 1, 0},
             false},
        Case{"depthwise5x5_s2_blocks",
             {1, 2, 40, 70},
             {2, 1, 5, 5},
             2,
             {2, 2},
             {},
             {2, 2, 2, 2},
             true},
        Case{"stride2", {1, 3, 9, 8}, {2, 3, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, true},
        // Rows wide enough for conv_gemm's 32- and 16-column blocks and its tails: the first
        // layer's 3x3 stride 2 with a pad at the end only, stride 1 5x5 groups, batch 2, a 2x4
        // kernel with asymmetric pads.
        Case{"image_stride2", {1, 3, 12, 64}, {16, 3, 3, 3}, 1, {2, 2}, {}, {0, 0, 1, 1}, true},
        Case{"wide_groups5x5", {2, 4, 6, 21}, {6, 2, 5, 5}, 2, {}, {}, {2, 2, 2, 2}, false},
        Case{"wide_stride2_tail", {1, 5, 7, 67}, {9, 5, 3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, true},
        Case{"wide_asym", {2, 3, 5, 40}, {4, 3, 2, 4}, 1, {}, {}, {1, 0, 0, 3}, true},
        Case{"asymmetric_pads", {1, 2, 6, 7}, {3, 2, 3, 2}, 1, {2, 1}, {}, {0, 2, 1, 0}, true},
        Case{"dilation", {1, 2, 9, 9}, {2, 2, 3, 3}, 1, {}, {2, 3}, {2, 1, 0, 3}, true},
        Case{"conv1d", {2, 3, 11}, {4, 3, 3}, 1, {2}, {}, {1, 2}, true},
        Case{"conv1d_depthwise", {1, 4, 10}, {4, 1, 5}, 4, {1}, {2}, {2, 2}, true},
        Case{
            "conv3d", {1, 2, 5, 6, 4}, {3, 2, 3, 2, 2}, 1, {1, 2, 1}, {}, {1, 0, 1, 1, 1, 0}, true},
        Case{"conv3d_grouped_dilated",
             {1, 4, 6, 5, 5},
             {2, 2, 2, 2, 2},
             2,
             {2, 1, 1},
             {1, 2, 2},
             {},
             false}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

// SAME_UPPER / SAME_LOWER: output ceil(in / stride), the odd pad pixel at the end (upper) or
// the start (lower); VALID: no pads.
TEST(Conv, AutoPad) {
  Tensor x = random_tensor({1, 2, 7, 8}, 4), w = random_tensor({3, 2, 4, 3}, 5);
  struct AutoCase {
    std::string mode;
    Ints strides, pads;
  };
  // H: in 7, k 4, stride 2 -> out 4, total (4-1)*2+4-7 = 3; W: in 8, k 3, stride 3 -> out 3, total
  // 2*3+3-8 = 1.
  for (const AutoCase& c :
       {AutoCase{"SAME_UPPER", {2, 3}, {1, 0, 2, 1}}, AutoCase{"SAME_LOWER", {2, 3}, {2, 1, 1, 0}},
        AutoCase{"VALID", {2, 3}, {0, 0, 0, 0}}}) {
    SCOPED_TRACE(c.mode);
    auto y = run_op("Conv", attrs({{"auto_pad", c.mode}, {"strides", c.strides}}), {&x, &w});
    expect_near(y[0], conv_ref(x, w, nullptr, 1, c.strides, {1, 1}, c.pads));
  }
  auto y = run_op("Conv", attrs({{"auto_pad", std::string("SAME_UPPER")}}), {&x, &w});
  EXPECT_EQ(y[0].shape(), (Shape{1, 3, 7, 8}));  // stride 1 keeps the size
}

TEST(Conv, KernelShapeAttributeAndMacs) {
  Tensor x = random_tensor({2, 4, 8, 8}, 6), w = random_tensor({6, 2, 3, 3}, 7),
         b = random_tensor({6}, 8);
  Attributes a = attrs({{"kernel_shape", Ints{3, 3}},
                        {"group", int64_t{2}},
                        {"strides", Ints{2, 2}},
                        {"pads", Ints{1, 1, 1, 1}}});
  auto y = run_op("Conv", a, {&x, &w, &b});
  EXPECT_EQ(y[0].shape(), (Shape{2, 6, 4, 4}));
  // N * Cout * out pixels * (Cin / group) * kernel
  EXPECT_EQ(op_macs("Conv", a, {&x, &w, &b}), 2 * 6 * 16 * 2 * 9);
}

TEST(Conv, KnownValues) {
  // ONNX's basic conv example: 5x5 ramp, 3x3 ones kernel, pads 1.
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
  Tensor x = Tensor::from_floats({1, 1, 5, 5}, xv),
         w = Tensor::from_floats({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  auto y = run_op("Conv", attrs({{"pads", Ints{1, 1, 1, 1}}}), {&x, &w});
  const std::vector<float> want = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                   117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
  EXPECT_EQ(std::vector<float>(y[0].floats().begin(), y[0].floats().end()), want);
}

TEST(Conv, RepeatedRunsReuseScratch) {
  // The same op instance on different input sizes (scratch buffers and the phase planes' pads
  // are reused), stride 1 (padded plane) and 2 (phase planes).
  for (int64_t stride : {1, 2}) {
    auto op = find_op("Conv")(attrs(
        {{"pads", Ints{1, 1, 1, 1}}, {"group", int64_t{2}}, {"strides", Ints{stride, stride}}}));
    Tensor w = random_tensor({2, 1, 3, 3}, 9);
    uint32_t seed = 10;
    for (int64_t size : {9, 4, 12, 12}) {
      Tensor x = random_tensor({1, 2, size, size}, seed++);
      std::vector<TensorMeta> m = {{DType::kFloat32, x.shape(), &x},
                                   {DType::kFloat32, w.shape(), &w}};
      Tensor y((*op->infer(m))[0].shape);
      const Tensor* in[] = {&x, &w};
      Tensor* out[] = {&y};
      op->run(in, out);
      expect_near(y, conv_ref(x, w, nullptr, 2, {stride, stride}, {1, 1}, {1, 1, 1, 1}));
    }
  }
}

// A quantized layer's input grid: the op sums the levels of its input (or of its residual
// x - x_k) as if they had been computed first, bit for bit, on the kernels that map as they copy
// (depthwise, and tap rows for up to 4 input channels a group) and on the rest (the default
// maps a copy first), with the epilogue's scaling after.
TEST(Conv, InputGridSumsTheLevels) {
  const UniformQuantizer q(8, -1.0, 1.0);
  const LevelGrid grid = *q.grid();
  struct GridCase {
    Shape w;
    int64_t group, stride, pad;
  };
  for (const GridCase& c : {GridCase{{6, 1, 3, 3}, 6, 1, 1}, GridCase{{6, 1, 3, 3}, 6, 2, 1},
                            GridCase{{6, 1, 5, 5}, 6, 1, 2}, GridCase{{6, 1, 5, 5}, 6, 2, 2},
                            GridCase{{4, 3, 3, 3}, 2, 1, 1}, GridCase{{4, 3, 3, 3}, 2, 2, 0},
                            GridCase{{4, 6, 3, 3}, 1, 1, 1}}) {
    auto op = find_op("Conv")(attrs({{"group", c.group},
                                     {"strides", Ints{c.stride, c.stride}},
                                     {"pads", Ints{c.pad, c.pad, c.pad, c.pad}}}));
    Tensor x = random_tensor({1, 6, 11, 13}, 4), levels(x.shape());
    for (float& v : x.floats()) v *= 1.3f;  // some values past the range
    // A residual's keyframe input: near x, equal to it at every fifth element.
    Tensor x_k = random_tensor(x.shape(), 6);
    for (int64_t i = 0; i < x.numel(); ++i)
      x_k.floats()[i] = i % 5 ? x.floats()[i] + 0.5f * x_k.floats()[i] : x.floats()[i];
    Tensor w = random_tensor(c.w, 5);
    for (float& v : w.floats()) v = std::round(v * 100);
    std::vector<TensorMeta> m = {{DType::kFloat32, x.shape(), &x}, {DType::kFloat32, w.shape(), &w}};
    const Shape y_shape = (*op->infer(m))[0].shape;
    const std::vector<float> multiplier(static_cast<size_t>(c.w[0]), 0.25f);
    const Tensor* no_minus = nullptr;
    for (const Tensor* minus : {no_minus, static_cast<const Tensor*>(&x_k)}) {
      if (minus)
        q.levels_of_difference(x.floats(), minus->floats(), levels.floats());
      else
        q.levels(x.floats(), levels.floats());
      Tensor want(y_shape), got(y_shape);
      const Tensor* on_levels[] = {&levels, &w};
      Tensor* want_out[] = {&want};
      op->run(on_levels, want_out);
      for (float& v : want.floats()) v = relu(scale_affine(v, 0.25f, 0.0f));
      Epilogue e{.input = {&grid, minus ? minus->f32() : nullptr},
                 .multiplier = multiplier.data(), .plane = y_shape[2] * y_shape[3],
                 .channels = c.w[0], .activation = Epilogue::Activation::kRelu};
      const Tensor* on_values[] = {&x, &w};
      Tensor* got_out[] = {&got};
      op->run_fused(on_values, got_out, e);
      EXPECT_EQ(std::vector<float>(got.floats().begin(), got.floats().end()),
                std::vector<float>(want.floats().begin(), want.floats().end()))
          << "kernel " << c.w[2] << " stride " << c.stride << " group " << c.group
          << (minus ? ", residual" : "");
    }
  }
}

// Each malformed configuration throws OpError (never crashes).
TEST(Conv, Errors_n) {
  Tensor x = random_tensor({1, 4, 6, 6}, 1), w = random_tensor({4, 4, 3, 3}, 2),
         b4 = random_tensor({4}, 3);
  Tensor w3 = random_tensor({4, 4, 3}, 4), w_g = random_tensor({4, 3, 3, 3}, 5),
         b5 = random_tensor({5}, 6);
  Tensor b2d = random_tensor({1, 4}, 7), x2 = random_tensor({4, 6}, 8),
         w_odd = random_tensor({3, 2, 3, 3}, 9);
  Tensor big_w = random_tensor({4, 4, 9, 9}, 10), wi = Tensor({4, 4, 3, 3}, DType::kInt64);
  auto throws = [&](const Attributes& a, const std::vector<const Tensor*>& in) {
    EXPECT_THROW(run_op("Conv", a, in), OpError);
  };
  throws({}, {&x, &w3});                                   // weight rank 3 for a 4-D input
  throws({}, {&x, &w_g});                                  // 3 weight channels, 4 input channels
  throws(attrs({{"group", int64_t{2}}}), {&x, &w});        // 4 / 2 != 4 weight channels
  throws(attrs({{"group", int64_t{2}}}), {&x, &w_odd});    // 3 outputs not a multiple of 2
  throws(attrs({{"group", int64_t{0}}}), {&x, &w});        // group 0
  throws(attrs({{"group", int64_t{1} << 40}}), {&x, &w});  // absurd group
  throws(attrs({{"strides", Ints{0, 1}}}), {&x, &w});      // stride 0
  throws(attrs({{"strides", Ints{1}}}), {&x, &w});         // wrong length
  throws(attrs({{"dilations", Ints{1, -1}}}), {&x, &w});   // negative dilation
  throws(attrs({{"pads", Ints{1, -1, 1, 1}}}), {&x, &w});  // negative pad
  throws(attrs({{"pads", Ints{1, 1, 1}}}), {&x, &w});      // odd pads length
  throws(attrs({{"pads", Ints{1, 1}}}), {&x, &w});         // pads for 1 dim
  throws(attrs({{"auto_pad", std::string("SAME")}}), {&x, &w});  // unknown auto_pad
  throws(attrs({{"kernel_shape", Ints{5, 5}}}), {&x, &w});       // kernel_shape != W
  throws(attrs({{"strides", int64_t{2}}}), {&x, &w});            // attribute of the wrong kind
  throws(attrs({{"pads", Ints{int64_t{1} << 40, 0, 0, 0}}}), {&x, &w});  // absurd pad
  throws({}, {&x, &w, &b5});                                             // bias of wrong length
  throws({}, {&x, &w, &b2d});                                            // bias of wrong rank
  throws({}, {&x2, &w});           // input without spatial dims
  throws({}, {&x, &big_w});        // kernel larger than input
  throws({}, {&x, &wi});           // int64 weight
  throws({}, {&x});                // missing weight
  throws({}, {&x, &w, &b4, &b4});  // too many inputs
  EXPECT_NO_THROW(run_op("Conv", {}, {&x, &w, &b4}));
}

}  // namespace
}  // namespace resq
