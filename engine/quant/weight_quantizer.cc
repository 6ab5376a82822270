#include "engine/quant/weight_quantizer.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/quant/uniform_quantizer.h"

namespace resq {

QuantizedWeight quantize_weight(const Tensor& w, int bits, WeightGranularity granularity,
                                int channel_axis) {
  if (bits == 0 || !is_valid_bits(bits))
    throw std::invalid_argument("weight quantization: " + std::to_string(bits) +
                                " bits is not one of {2..8, 16, 32}");
  if (w.dtype() != DType::kFloat32)
    throw std::invalid_argument(std::string("weight quantization: weight is ") +
                                dtype_name(w.dtype()) + ", expected float32");
  const bool per_channel = granularity == WeightGranularity::kPerChannel;
  if (per_channel && (channel_axis < 0 || channel_axis >= w.rank()))
    throw std::invalid_argument("weight quantization: channel axis " +
                                std::to_string(channel_axis) + " outside weight " +
                                shape_str(w.shape()));

  // View the weight as [outer, channels, inner]; per tensor is the single-channel case.
  int64_t outer = 1, channels = 1, inner = w.numel();
  if (per_channel) {
    const Shape& s = w.shape();
    const auto axis = s.begin() + channel_axis;
    outer = shape_numel(Shape(s.begin(), axis));
    channels = *axis;
    inner = shape_numel(Shape(axis + 1, s.end()));
  }

  QuantizedWeight result{Tensor(w.shape()), {}, bits <= 8 ? Tensor(w.shape()) : Tensor()};
  result.scales.reserve(static_cast<size_t>(channels));
  const float* src = w.f32();
  float* dst = result.weight.f32();
  for (int64_t c = 0; c < channels; ++c) {
    float lo = 0, hi = 0;  // an empty channel gets a zero range
    bool first = true;
    for (int64_t o = 0; o < outer; ++o) {
      const float* row = src + (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        lo = first ? row[i] : std::min(lo, row[i]);
        hi = first ? row[i] : std::max(hi, row[i]);
        first = false;
      }
    }
    const UniformQuantizer q(bits, lo, hi);
    result.scales.push_back(q.scale());
    for (int64_t o = 0; o < outer; ++o) {
      const size_t offset = static_cast<size_t>((o * channels + c) * inner);
      const size_t n = static_cast<size_t>(inner);
      q.apply(std::span<const float>(src + offset, n), std::span<float>(dst + offset, n));
      if (bits <= 8)
        q.levels(std::span<const float>(src + offset, n),
                 std::span<float>(result.levels.f32() + offset, n));
    }
  }
  return result;
}

std::optional<int> weight_channel_axis(const Node& node, int weight_rank) {
  const std::string& type = node.op_type;
  if (type == "Conv") return 0;
  if (type == "ConvTranspose") return 1;
  if (type == "Gemm") return node.attrs.get_flag("transB") ? 0 : 1;
  if (type == "MatMul")
    return weight_rank >= 2 ? std::optional<int>(weight_rank - 1) : std::nullopt;
  throw std::invalid_argument("weight_channel_axis: node '" + node.name + "' (" + type +
                              ") is not a linear layer");
}

}  // namespace resq
