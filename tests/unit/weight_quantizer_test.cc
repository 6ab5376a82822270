#include "engine/quant/weight_quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "engine/quant/uniform_quantizer.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using testing::attrs;

std::vector<float> values(const Tensor& t) { return {t.floats().begin(), t.floats().end()}; }

double squared_error(const Tensor& a, const Tensor& b) {
  double e = 0;
  for (int64_t i = 0; i < a.numel(); ++i) e += std::pow(double{a.f32()[i]} - b.f32()[i], 2);
  return e;
}

// Conv weight [M=2, 1, 1, 2] at 4 bits. Channel 0 {7.5, -3} has range 7.5 -> s = 1; channel 1
// {15/32, -3/16} has range 15/32 -> s = 1/16. Per tensor, s = 1 wipes channel 1 out.
TEST(WeightQuantizer, PerChannelBeatsPerTensorByHand) {
  const Tensor w =
      Tensor::from_floats({2, 1, 1, 2}, std::vector<float>{7.5f, -3, 0.46875f, -0.1875f});
  const QuantizedWeight per_tensor = quantize_weight(w, 4, WeightGranularity::kPerTensor);
  const QuantizedWeight per_channel = quantize_weight(w, 4, WeightGranularity::kPerChannel, 0);

  EXPECT_EQ(per_tensor.scales, std::vector<double>{1.0});
  EXPECT_EQ(values(per_tensor.weight), (std::vector<float>{7, -3, 0, 0}));
  EXPECT_EQ(per_channel.scales, (std::vector<double>{1.0, 1.0 / 16}));
  EXPECT_EQ(values(per_channel.weight), (std::vector<float>{7, -3, 7.0f / 16, -3.0f / 16}));
  EXPECT_EQ(shape_str(per_channel.weight.shape()), "2x1x1x2");

  // Channel 0 is the same either way; channel 1 only loses its clipped top (1/32).
  EXPECT_DOUBLE_EQ(squared_error(per_channel.weight, w), 0.25 + 1.0 / 1024);
  EXPECT_DOUBLE_EQ(squared_error(per_tensor.weight, w), 0.25 + 0.46875 * 0.46875 + 0.1875 * 0.1875);
}

// The same channels laid out along axis 1 of a [2, 2, 1] tensor (ConvTranspose, Gemm B):
// element (o, c) sits at o * 2 + c, so each channel is strided.
TEST(WeightQuantizer, StridedChannelAxis) {
  const Tensor w = Tensor::from_floats({2, 2, 1}, std::vector<float>{7.5f, 0.46875f, -3, -0.1875f});
  const QuantizedWeight q = quantize_weight(w, 4, WeightGranularity::kPerChannel, 1);
  EXPECT_EQ(q.scales, (std::vector<double>{1.0, 1.0 / 16}));
  EXPECT_EQ(values(q.weight), (std::vector<float>{7, 7.0f / 16, -3, -3.0f / 16}));
}

// Every axis of a rank-4 tensor against a naive per-slice min-max quantization.
TEST(WeightQuantizer, PerChannelMatchesNaiveSlices) {
  const Shape shape{3, 4, 2, 5};
  const Tensor w = testing::random_tensor(shape, 11);
  for (int axis = 0; axis < 4; ++axis) {
    const QuantizedWeight q = quantize_weight(w, 3, WeightGranularity::kPerChannel, axis);
    ASSERT_EQ(q.scales.size(), static_cast<size_t>(shape[static_cast<size_t>(axis)]));
    std::vector<float> lo(q.scales.size(), INFINITY), hi(q.scales.size(), -INFINITY);
    testing::for_each_index(shape, [&](const std::vector<int64_t>& idx) {
      const size_t c = static_cast<size_t>(idx[static_cast<size_t>(axis)]);
      const float v = w.f32()[testing::flat_index(shape, idx)];
      lo[c] = std::min(lo[c], v);
      hi[c] = std::max(hi[c], v);
    });
    testing::for_each_index(shape, [&](const std::vector<int64_t>& idx) {
      const size_t c = static_cast<size_t>(idx[static_cast<size_t>(axis)]);
      const int64_t i = testing::flat_index(shape, idx);
      const UniformQuantizer ref(3, lo[c], hi[c]);
      ASSERT_EQ(q.scales[c], ref.scale());
      ASSERT_EQ(q.weight.f32()[i], ref.quantize(w.f32()[i])) << "axis " << axis << " at " << i;
    });
  }
}

TEST(WeightQuantizer, ChannelAxisFromNode) {
  auto node = [](const std::string& type, Attributes a = {}) {
    return Node{"n", type, {}, {}, std::move(a)};
  };
  EXPECT_EQ(weight_channel_axis(node("Conv"), 4), 0);
  EXPECT_EQ(weight_channel_axis(node("ConvTranspose"), 4), 1);
  EXPECT_EQ(weight_channel_axis(node("Gemm"), 2), 1);
  EXPECT_EQ(weight_channel_axis(node("Gemm", attrs({{"transB", int64_t{1}}})), 2), 0);
  EXPECT_EQ(weight_channel_axis(node("Gemm", attrs({{"transB", int64_t{0}}})), 2), 1);
  EXPECT_EQ(weight_channel_axis(node("MatMul"), 2), 1);
  EXPECT_EQ(weight_channel_axis(node("MatMul"), 3), 2);
  EXPECT_EQ(weight_channel_axis(node("MatMul"), 1), std::nullopt);
}

TEST(WeightQuantizer, BadArguments_n) {
  const Tensor w = testing::random_tensor({2, 3}, 1);
  for (int bits : {0, 1, 9, -2})
    EXPECT_THROW(quantize_weight(w, bits, WeightGranularity::kPerTensor), std::invalid_argument)
        << bits;
  EXPECT_THROW(quantize_weight(w, 8, WeightGranularity::kPerChannel, 2), std::invalid_argument);
  EXPECT_THROW(quantize_weight(w, 8, WeightGranularity::kPerChannel, -1), std::invalid_argument);
  const Tensor ints = Tensor::from_ints({2}, std::vector<int64_t>{1, 2});
  EXPECT_THROW(quantize_weight(ints, 8, WeightGranularity::kPerTensor), std::invalid_argument);
  const Node relu{"r", "Relu", {}, {}, {}};
  EXPECT_THROW(weight_channel_axis(relu, 2), std::invalid_argument);
}

}  // namespace
}  // namespace resq
