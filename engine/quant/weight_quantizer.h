// Weight quantization with min-max ranges (Eq. 7), per tensor or per output channel, as fake
// quantization: the result is a float tensor holding grid values.
#pragma once

#include <optional>
#include <vector>

#include "engine/graph.h"
#include "engine/tensor.h"

namespace resq {

enum class WeightGranularity { kPerTensor, kPerChannel };

struct QuantizedWeight {
  Tensor weight;               // same shape as the input, values on the quantization grid
  std::vector<double> scales;  // one per output channel, or a single one per tensor
  Tensor levels;               // bits <= 8: weight / scale, the integer grid indices; else empty
};

// Fake-quantizes `w` (float) at `bits` (2..8, 16, 32). With kPerChannel each slice along
// `channel_axis` gets its own min-max range; with kPerTensor the axis is ignored.
// Throws std::invalid_argument for bad bits, a non-float tensor or an axis outside the rank.
QuantizedWeight quantize_weight(const Tensor& w, int bits, WeightGranularity granularity,
                                int channel_axis = 0);

// The output-channel axis of a linear node's weight (input 1) of rank `weight_rank`:
// Conv W [M, C/g, k...] -> 0, ConvTranspose W [C, M/g, k...] -> 1, Gemm B [K, N] -> 1
// (transB = 1: [N, K] -> 0), MatMul B [..., K, N] -> rank - 1. std::nullopt for a 1-D MatMul B,
// which has no output-channel axis (quantize it per tensor). Throws std::invalid_argument for
// other op types.
std::optional<int> weight_channel_axis(const Node& node, int weight_rank);

}  // namespace resq
