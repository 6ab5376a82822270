#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

struct PoolRef {
  Tensor y, indices;
};

// Direct-loop reference with explicit pads and output size. Max: largest in-image value and
// its flat index (row-major, or column-major over the spatial dims for storage_order 1).
// Average: mean over the in-image taps, or over the taps inside the padded image.
PoolRef pool_ref(const Tensor& x, bool max, const Ints& kernel, const Ints& strides,
                 const Ints& dilations, const Ints& pads, const Shape& out_spatial,
                 bool count_include_pad = false, int storage_order = 0) {
  const size_t r = kernel.size();
  Shape y_shape = {x.dim(0), x.dim(1)};
  y_shape.insert(y_shape.end(), out_spatial.begin(), out_spatial.end());
  PoolRef ref{Tensor(y_shape), Tensor(y_shape, DType::kInt64)};
  const Shape spatial(x.shape().begin() + 2, x.shape().end());
  for_each_index(y_shape, [&](const std::vector<int64_t>& yi) {
    double sum = 0;
    int64_t count = 0, padded = 0, best_at = -1;
    float best = -std::numeric_limits<float>::infinity();
    for_each_index(Shape(kernel.begin(), kernel.end()), [&](const std::vector<int64_t>& k) {
      std::vector<int64_t> xi = {yi[0], yi[1]};
      bool inside = true, in_padded = true;
      int64_t col_major = 0, scale = 1;
      for (size_t d = 0; d < r; ++d) {
        const int64_t p = yi[d + 2] * strides[d] - pads[d] + k[d] * dilations[d];
        inside = inside && p >= 0 && p < spatial[d];
        in_padded = in_padded && p < spatial[d] + pads[d + r];
        xi.push_back(p);
        col_major += p * scale;
        scale *= spatial[d];
      }
      padded += in_padded;
      if (!inside) return;
      const int64_t f = flat_index(x.shape(), xi);
      const float v = x.f32()[f];
      sum += v;
      ++count;
      if (v > best) {
        best = v;
        best_at = storage_order ? (yi[0] * x.dim(1) + yi[1]) * shape_numel(spatial) + col_major : f;
      }
    });
    const int64_t f = flat_index(y_shape, yi);
    ref.y.f32()[f] =
        max ? best
            : static_cast<float>(sum / static_cast<double>(count_include_pad ? padded : count));
    ref.indices.i64()[f] = best_at;
  });
  return ref;
}

// MaxPool with only its first output requested (the node lists no Indices).
Tensor max_pool_values_only(const Attributes& a, const Tensor& x) {
  auto op = find_op("MaxPool")(a);
  std::vector<TensorMeta> metas = {{x.dtype(), x.shape(), &x}};
  Tensor y((*op->infer(metas))[0].shape);
  const Tensor* in[] = {&x};
  Tensor* out[] = {&y};
  op->run(in, out);
  return y;
}

struct Case {
  const char* name;
  Shape x;
  Ints kernel, strides, dilations, pads;
  bool ceil_mode, count_include_pad;
  Shape out;  // expected output spatial shape
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PoolCases : public ::testing::TestWithParam<Case> {};

TEST_P(PoolCases, MaxAndAverageMatchDirectLoop) {
  const Case& c = GetParam();
  const size_t r = c.kernel.size();
  Tensor x = random_tensor(c.x, 11);
  Attributes a = attrs({{"kernel_shape", c.kernel}, {"ceil_mode", int64_t{c.ceil_mode}}});
  if (!c.strides.empty()) a.set("strides", c.strides);
  if (!c.pads.empty()) a.set("pads", c.pads);
  const Ints ones(r, 1);
  const Ints& s = c.strides.empty() ? ones : c.strides;
  const Ints p = c.pads.empty() ? Ints(2 * r, 0) : c.pads;
  Attributes max_a = a;
  if (!c.dilations.empty()) max_a.set("dilations", c.dilations);
  const Ints& dil = c.dilations.empty() ? ones : c.dilations;
  for (int order : {0, 1}) {
    max_a.set("storage_order", int64_t{order});
    auto y = run_op("MaxPool", max_a, {&x});
    PoolRef ref = pool_ref(x, true, c.kernel, s, dil, p, c.out, false, order);
    expect_near(y[0], ref.y, 0);
    ASSERT_EQ(y.size(), 2u);
    EXPECT_EQ(std::vector<int64_t>(y[1].ints().begin(), y[1].ints().end()),
              std::vector<int64_t>(ref.indices.ints().begin(), ref.indices.ints().end()));
  }
  expect_near(max_pool_values_only(max_a, x), pool_ref(x, true, c.kernel, s, dil, p, c.out).y, 0);
  if (!c.dilations.empty()) return;  // AveragePool has no dilations before opset 19
  a.set("count_include_pad", int64_t{c.count_include_pad});
  auto y = run_op("AveragePool", a, {&x});
  expect_near(y[0], pool_ref(x, false, c.kernel, s, ones, p, c.out, c.count_include_pad).y);
}

INSTANTIATE_TEST_SUITE_P(
    Pool, PoolCases,
    ::testing::Values(
        Case{"basic2x2", {1, 2, 4, 5}, {2, 2}, {}, {}, {}, false, false, {3, 4}},
        Case{"stride2", {2, 3, 6, 7}, {3, 3}, {2, 2}, {}, {}, false, false, {2, 3}},
        Case{"pads", {1, 2, 5, 5}, {3, 3}, {}, {}, {2, 2, 2, 2}, false, false, {7, 7}},
        Case{"pads_count_include", {1, 2, 5, 5}, {3, 3}, {}, {}, {1, 2, 2, 1}, false, true, {6, 6}},
        Case{"asymmetric_strides",
             {1, 1, 7, 8},
             {3, 2},
             {3, 2},
             {},
             {1, 0, 0, 1},
             false,
             false,
             {2, 4}},
        Case{"ceil", {1, 1, 4, 4}, {3, 3}, {2, 2}, {}, {}, true, false, {2, 2}},
        // The last windows reach past the image and its pads: count_include_pad does not count
        // that.
        Case{"ceil_count_include_pad",
             {1, 1, 6, 7},
             {3, 3},
             {2, 2},
             {},
             {0, 1, 0, 0},
             true,
             true,
             {3, 4}},
        // in 4 + pads 1+1, k 2, s 3: ceil gives 3 windows but the last would start in the end pad.
        Case{"ceil_drops_window_in_pad",
             {1, 1, 4, 4},
             {2, 2},
             {3, 3},
             {},
             {1, 1, 1, 1},
             true,
             false,
             {2, 2}},
        Case{"dilation", {1, 2, 6, 6}, {2, 2}, {1, 1}, {2, 2}, {}, false, false, {4, 4}},
        Case{"dilation_stride_pads",
             {1, 1, 7, 7},
             {2, 3},
             {2, 1},
             {2, 2},
             {1, 1, 1, 1},
             true,
             false,
             {4, 5}},
        Case{"pool1d", {2, 3, 9}, {3}, {2}, {}, {1, 1}, false, false, {5}},
        Case{"pool1d_ceil", {1, 2, 8}, {3}, {2}, {}, {}, true, false, {4}},
        Case{"pool3d",
             {1, 2, 4, 5, 6},
             {2, 2, 3},
             {2, 1, 2},
             {},
             {0, 1, 1, 1, 0, 1},
             false,
             true,
             {2, 5, 3}}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

TEST(Pool, AutoPad) {
  Tensor x = random_tensor({1, 2, 5, 6}, 12);
  // H: in 5, k 3, s 2 -> out 3, total 2*2+3-5 = 2; W: in 6, k 2, s 2 -> out 3, total 2*2+2-6 = 0.
  // k 2 stride 1 on W=6: total 1 -> odd pixel at the end (UPPER) or the start (LOWER).
  struct AutoCase {
    std::string mode;
    Ints kernel, strides, pads;
    Shape out;
  };
  for (const AutoCase& c : {AutoCase{"SAME_UPPER", {3, 2}, {2, 2}, {1, 0, 1, 0}, {3, 3}},
                            AutoCase{"SAME_UPPER", {2, 2}, {1, 1}, {0, 0, 1, 1}, {5, 6}},
                            AutoCase{"SAME_LOWER", {2, 2}, {1, 1}, {1, 1, 0, 0}, {5, 6}},
                            AutoCase{"VALID", {2, 3}, {2, 2}, {0, 0, 0, 0}, {2, 2}}}) {
    SCOPED_TRACE(c.mode);
    Attributes a =
        attrs({{"auto_pad", c.mode}, {"kernel_shape", c.kernel}, {"strides", c.strides}});
    const Tensor want = pool_ref(x, true, c.kernel, c.strides, {1, 1}, c.pads, c.out).y;
    expect_near(run_op("MaxPool", a, {&x})[0], want, 0);
    expect_near(max_pool_values_only(a, x), want, 0);
    expect_near(run_op("AveragePool", a, {&x})[0],
                pool_ref(x, false, c.kernel, c.strides, {1, 1}, c.pads, c.out).y);
  }
}

TEST(Pool, MaxPoolIndicesKnownValues) {
  // ONNX's maxpool_with_argmax example (storage_order 1): 5x5 ramp, k 2, s 2.
  Tensor x({1, 1, 5, 5});
  for (int64_t i = 0; i < 25; ++i) x.f32()[i] = static_cast<float>(i + 1);
  auto y = run_op(
      "MaxPool",
      attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"storage_order", int64_t{1}}}),
      {&x});
  EXPECT_EQ(std::vector<float>(y[0].floats().begin(), y[0].floats().end()),
            (std::vector<float>{7, 9, 17, 19}));
  EXPECT_EQ(std::vector<int64_t>(y[1].ints().begin(), y[1].ints().end()),
            (std::vector<int64_t>{6, 16, 8, 18}));
}

TEST(Pool, GlobalAveragePool) {
  for (const Shape& s :
       {Shape{2, 3, 4, 5}, Shape{1, 2, 7}, Shape{1, 1, 2, 3, 4}, Shape{1, 2, 37, 41}}) {
    Tensor x = random_tensor(s, 13);
    auto y = run_op("GlobalAveragePool", {}, {&x});
    Shape want(s.size(), 1);
    want[0] = s[0];
    want[1] = s[1];
    ASSERT_EQ(y[0].shape(), want);
    const int64_t plane = x.numel() / (s[0] * s[1]);
    for (int64_t c = 0; c < s[0] * s[1]; ++c) {
      double sum = 0;
      for (int64_t i = 0; i < plane; ++i) sum += x.f32()[c * plane + i];
      EXPECT_NEAR(y[0].f32()[c], sum / static_cast<double>(plane), 1e-5);
    }
  }
}

TEST(Pool, MacsAreZero) {
  Tensor x = random_tensor({1, 2, 4, 4}, 14);
  EXPECT_EQ(op_macs("MaxPool", attrs({{"kernel_shape", Ints{2, 2}}}), {&x}), 0);
  EXPECT_EQ(op_macs("GlobalAveragePool", {}, {&x}), 0);
}

TEST(Pool, Errors_n) {
  Tensor x = random_tensor({1, 2, 5, 5}, 15), x2 = random_tensor({2, 5}, 16),
         xi({1, 2, 5, 5}, DType::kInt64);
  const Ints k = {3, 3};
  for (const char* op : {"MaxPool", "AveragePool"}) {
    SCOPED_TRACE(op);
    auto throws = [&](const Attributes& a, const std::vector<const Tensor*>& in) {
      EXPECT_THROW(run_op(op, a, in), OpError);
    };
    throws({}, {&x});                                                     // no kernel_shape
    throws(attrs({{"kernel_shape", Ints{3}}}), {&x});                     // kernel rank 1 for 2-D
    throws(attrs({{"kernel_shape", Ints{0, 3}}}), {&x});                  // zero kernel
    throws(attrs({{"kernel_shape", k}, {"strides", Ints{1, 0}}}), {&x});  // stride 0
    throws(attrs({{"kernel_shape", k}, {"pads", Ints{0, -1, 0, 0}}}), {&x});  // negative pad
    throws(attrs({{"kernel_shape", k}, {"pads", Ints{3, 0, 0, 0}}}), {&x});   // pad >= kernel
    throws(attrs({{"kernel_shape", k}, {"pads", Ints{1, 1}}}), {&x});         // pads for 1 dim
    throws(attrs({{"kernel_shape", k}, {"ceil_mode", int64_t{2}}}), {&x});    // bad ceil_mode
    throws(attrs({{"kernel_shape", k}, {"auto_pad", std::string("same_upper")}}),
           {&x});                                         // case matters
    throws(attrs({{"kernel_shape", Ints{6, 6}}}), {&x});  // kernel > input
    throws(attrs({{"kernel_shape", k}}), {&x2});          // no spatial dims
    throws(attrs({{"kernel_shape", k}}), {&xi});          // int64 input
    throws(attrs({{"kernel_shape", k}}), {&x, &x});       // two inputs
  }
  EXPECT_THROW(run_op("MaxPool", attrs({{"kernel_shape", k}, {"storage_order", int64_t{2}}}), {&x}),
               OpError);
  EXPECT_THROW(
      run_op("AveragePool", attrs({{"kernel_shape", k}, {"count_include_pad", int64_t{-1}}}), {&x}),
      OpError);
  EXPECT_THROW(run_op("GlobalAveragePool", {}, {&x2}), OpError);
  EXPECT_THROW(run_op("GlobalAveragePool", {}, {&xi}), OpError);
  EXPECT_THROW(run_op("GlobalAveragePool", {}, {}), OpError);
}

}  // namespace
}  // namespace resq
