#include <gtest/gtest.h>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

// Direct scatter reference: input pixel i and tap k add to output o = i * stride - pad_begin +
// k * dilation when 0 <= o < out. `out_spatial` and `pad_begin` are computed by the test.
Tensor conv_transpose_ref(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group,
                          const Ints& strides, const Ints& dilations, const Ints& pad_begin,
                          const Shape& out_spatial) {
  const size_t r = static_cast<size_t>(x.rank() - 2);
  const int64_t c = x.dim(1), cg = c / group, mg = w.dim(1), m = mg * group;
  Shape y_shape = {x.dim(0), m};
  y_shape.insert(y_shape.end(), out_spatial.begin(), out_spatial.end());
  const Shape kernel(w.shape().begin() + 2, w.shape().end());
  std::vector<double> acc(static_cast<size_t>(shape_numel(y_shape)), 0.0);
  for_each_index(x.shape(), [&](const std::vector<int64_t>& xi) {
    const int64_t grp = xi[1] / cg;
    for (int64_t oc = 0; oc < mg; ++oc) {
      for_each_index(kernel, [&](const std::vector<int64_t>& k) {
        std::vector<int64_t> yi = {xi[0], grp * mg + oc}, wi = {xi[1], oc};
        for (size_t d = 0; d < r; ++d) {
          const int64_t o = xi[d + 2] * strides[d] - pad_begin[d] + k[d] * dilations[d];
          if (o < 0 || o >= out_spatial[d]) return;
          yi.push_back(o);
          wi.push_back(k[d]);
        }
        acc[static_cast<size_t>(flat_index(y_shape, yi))] +=
            static_cast<double>(x.f32()[flat_index(x.shape(), xi)]) *
            w.f32()[flat_index(w.shape(), wi)];
      });
    }
  });
  Tensor y(y_shape);
  for_each_index(y_shape, [&](const std::vector<int64_t>& yi) {
    const int64_t f = flat_index(y_shape, yi);
    y.f32()[f] = static_cast<float>(acc[static_cast<size_t>(f)] + (b ? b->f32()[yi[1]] : 0.0f));
  });
  return y;
}

struct Case {
  const char* name;
  Shape x, w;
  int64_t group;
  Ints strides, dilations, pads, output_padding;
  bool bias;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ConvTransposeCases : public ::testing::TestWithParam<Case> {};

TEST_P(ConvTransposeCases, MatchesDirectLoop) {
  const Case& c = GetParam();
  const size_t r = c.x.size() - 2;
  Tensor x = random_tensor(c.x, 1), w = random_tensor(c.w, 2),
         b = random_tensor({c.w[1] * c.group}, 3);
  Attributes a = attrs({{"group", c.group}});
  if (!c.strides.empty()) a.set("strides", c.strides);
  if (!c.dilations.empty()) a.set("dilations", c.dilations);
  if (!c.pads.empty()) a.set("pads", c.pads);
  if (!c.output_padding.empty()) a.set("output_padding", c.output_padding);
  auto y = run_op("ConvTranspose", a, {&x, &w, c.bias ? &b : nullptr});
  const Ints ones(r, 1), zeros(2 * r, 0);
  const Ints& s = c.strides.empty() ? ones : c.strides;
  const Ints& dil = c.dilations.empty() ? ones : c.dilations;
  const Ints& p = c.pads.empty() ? zeros : c.pads;
  Shape out;
  for (size_t d = 0; d < r;
       ++d)  // (in - 1) * stride + output_padding + (k - 1) * dilation + 1 - pads
    out.push_back((c.x[d + 2] - 1) * s[d] + (c.output_padding.empty() ? 0 : c.output_padding[d]) +
                  (c.w[d + 2] - 1) * dil[d] + 1 - p[d] - p[d + r]);
  expect_near(y[0], conv_transpose_ref(x, w, c.bias ? &b : nullptr, c.group, s, dil,
                                       Ints(p.begin(), p.begin() + r), out));
}

INSTANTIATE_TEST_SUITE_P(
    ConvTranspose, ConvTransposeCases,
    ::testing::Values(
        Case{"basic", {1, 2, 3, 4}, {2, 3, 3, 3}, 1, {}, {}, {}, {}, true},
        Case{"upsample2x2", {2, 3, 4, 4}, {3, 2, 2, 2}, 1, {2, 2}, {}, {}, {}, true},
        Case{"stride_pads", {1, 2, 4, 3}, {2, 2, 3, 3}, 1, {3, 2}, {}, {1, 2, 1, 2}, {}, false},
        Case{"asymmetric_pads", {1, 1, 3, 3}, {1, 2, 3, 3}, 1, {2, 2}, {}, {0, 1, 2, 0}, {}, true},
        Case{"output_padding", {1, 1, 3, 3}, {1, 2, 3, 3}, 1, {3, 2}, {}, {}, {1, 1}, true},
        Case{"dilation", {1, 2, 3, 3}, {2, 1, 2, 2}, 1, {}, {2, 2}, {}, {}, true},
        Case{"groups", {1, 4, 3, 3}, {4, 3, 3, 3}, 2, {2, 2}, {}, {1, 1, 1, 1}, {}, true},
        Case{"depthwise", {1, 3, 4, 4}, {3, 1, 3, 3}, 3, {2, 2}, {}, {1, 1, 0, 0}, {1, 1}, true},
        Case{"conv1d", {2, 2, 5}, {2, 3, 3}, 1, {2}, {}, {1, 0}, {1}, true},
        Case{"conv3d", {1, 1, 3, 4, 5}, {1, 2, 3, 3, 3}, 1, {1, 2, 2}, {}, {}, {}, true},
        Case{"conv3d_grouped",
             {1, 2, 2, 3, 3},
             {2, 2, 2, 2, 2},
             2,
             {2, 1, 2},
             {1, 2, 1},
             {0, 1, 0, 1, 0, 1},
             {1, 0, 1},
             false}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

// output_shape sets the pads: total = (in-1)*s + output_padding + (k-1)*d + 1 - output_shape,
// split with the odd pixel at the end (NOTSET, SAME_UPPER) or the start (SAME_LOWER). auto_pad
// SAME_* without output_shape asks for in * stride.
TEST(ConvTranspose, OutputShapeAndAutoPad) {
  Tensor x = random_tensor({1, 1, 3, 3}, 4), w = random_tensor({1, 2, 3, 3}, 5);
  // in 3, stride 2, k 3: full size 7.
  struct AutoCase {
    Attributes a;
    Shape out;
    Ints pad_begin;
  };
  const std::vector<AutoCase> cases = {
      {attrs({{"strides", Ints{2, 2}}, {"output_shape", Ints{6, 5}}}), {6, 5}, {0, 1}},
      {attrs({{"strides", Ints{2, 2}}, {"output_shape", Ints{1, 2, 6, 5}}}),
       {6, 5},
       {0, 1}},  // N, C form
      {attrs({{"strides", Ints{2, 2}}, {"output_shape", Ints{8, 9}}}),
       {8, 9},
       {0, 0}},  // larger than full
      {attrs({{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}}), {6, 6}, {0, 0}},
      {attrs({{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_LOWER")}}), {6, 6}, {1, 1}},
      {attrs({{"strides", Ints{2, 2}},
              {"auto_pad", std::string("VALID")},
              {"pads", Ints{1, 1, 1, 1}}}),
       {7, 7},
       {0, 0}},
      {attrs({{"strides", Ints{3, 2}},
              {"output_shape", Ints{10, 8}},
              {"output_padding", Ints{1, 1}}}),
       {10, 8},
       {0, 0}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    auto y = run_op("ConvTranspose", cases[i].a, {&x, &w});
    const Ints s = cases[i].a.get_ints("strides");
    expect_near(y[0],
                conv_transpose_ref(x, w, nullptr, 1, s, {1, 1}, cases[i].pad_begin, cases[i].out));
  }
}

TEST(ConvTranspose, KernelShapeAndMacs) {
  Tensor x = random_tensor({2, 4, 5, 5}, 6), w = random_tensor({4, 3, 2, 2}, 7);
  Attributes a =
      attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"group", int64_t{2}}});
  auto y = run_op("ConvTranspose", a, {&x, &w});
  EXPECT_EQ(y[0].shape(), (Shape{2, 6, 10, 10}));
  // N * Cin * in pixels * (Cout / group) * kernel
  EXPECT_EQ(op_macs("ConvTranspose", a, {&x, &w}), 2 * 4 * 25 * 3 * 4);
}

TEST(ConvTranspose, Errors_n) {
  Tensor x = random_tensor({1, 4, 3, 3}, 1), w = random_tensor({4, 2, 3, 3}, 2);
  Tensor w3 = random_tensor({4, 2, 3}, 3), w_c = random_tensor({3, 2, 3, 3}, 4),
         b = random_tensor({3}, 5);
  Tensor x_odd = random_tensor({1, 3, 3, 3}, 6), w_odd = random_tensor({3, 2, 3, 3}, 7);
  auto throws = [&](const Attributes& a, const std::vector<const Tensor*>& in) {
    EXPECT_THROW(run_op("ConvTranspose", a, in), OpError);
  };
  throws({}, {&x, &w3});                                       // weight rank
  throws({}, {&x, &w_c});                                      // 3 weight input channels, 4 inputs
  throws(attrs({{"group", int64_t{2}}}), {&x_odd, &w_odd});    // 3 channels not divisible by 2
  throws(attrs({{"group", int64_t{-1}}}), {&x, &w});           // bad group
  throws(attrs({{"strides", Ints{0, 1}}}), {&x, &w});          // stride 0
  throws(attrs({{"pads", Ints{-1, 0, 0, 0}}}), {&x, &w});      // negative pad
  throws(attrs({{"pads", Ints{3, 3, 3, 3}}}), {&x, &w});       // pads eat the whole output
  throws(attrs({{"output_padding", Ints{-1, 0}}}), {&x, &w});  // negative output_padding
  throws(attrs({{"output_padding", Ints{1}}}), {&x, &w});      // wrong length
  throws(attrs({{"output_shape", Ints{0, 4}}}), {&x, &w});     // empty output
  throws(attrs({{"output_shape", Ints{4, 4, 4}}}), {&x, &w});  // wrong length
  throws(attrs({{"kernel_shape", Ints{2, 2}}}), {&x, &w});     // != W
  throws(attrs({{"auto_pad", std::string("bogus")}}), {&x, &w});  // unknown auto_pad
  throws({}, {&x, &w, &b});  // bias of wrong length (2 outputs)
  throws({}, {&x});          // missing weight
  EXPECT_NO_THROW(run_op("ConvTranspose", {}, {&x, &w}));
}

}  // namespace
}  // namespace resq
