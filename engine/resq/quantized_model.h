// The shared, immutable part of a quantized model: the graph, every linear layer's weights
// fake-quantized at each bit-width, and the calibrated activation quantizers. Any number of
// stream sessions use one QuantizedModel concurrently.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/graph.h"
#include "engine/quant/integer_conv.h"
#include "engine/quant/uniform_quantizer.h"
#include "engine/quant/weight_quantizer.h"
#include "engine/resq/calibration.h"
#include "engine/resq/pixel_layout.h"
#include "engine/resq/receptive_field.h"

namespace resq {

class QuantizedModel {
 public:
  // Throws ModelError when `calibration` does not belong to `graph` (layer count or names).
  QuantizedModel(std::shared_ptr<const Graph> graph, const Calibration& calibration,
                 WeightGranularity weights);

  const std::shared_ptr<const Graph>& graph() const { return graph_; }
  // Node indices of the linear layers, in execution order (as Executor::linear_nodes()).
  const std::vector<size_t>& linear_nodes() const { return linear_nodes_; }
  size_t linear_index(size_t node) const { return linear_index_.at(node); }
  int64_t macs(size_t linear_index) const { return macs_[linear_index]; }
  int64_t total_macs() const;
  // Input pixels summed over the linear layers (the unit of FrameCost::pixels_per_bits).
  int64_t total_pixels() const;

  // Weights of linear layer `li` on the grid of `bits` (2..8, 16; 32 are the float weights),
  // and their Frobenius norm ||q(w)|| (the factor of the Dynamic-ResQ error bound, Eq. 10).
  const Tensor& weight(size_t li, int bits) const;
  double weight_norm(size_t li, int bits) const;
  // Integer form of a layer whose output is sum(x * w) plus a per-channel bias (Conv,
  // ConvTranspose, MatMul; not Gemm, whose alpha and C do not factor out): quantized, it is
  // computed as acc = op(levels(x), levels(w)) and y = acc * s_a * s_w[channel] + bias.
  bool has_integer_form(size_t li) const { return layers_[li].out_channel_axis >= 0; }
  // The axis of the layer's output that indexes weight channels (has_integer_form layers).
  int output_channel_axis(size_t li) const { return layers_[li].out_channel_axis; }
  struct WeightLevels {
    Tensor levels;                     // the weight's integer grid indices, as floats
    std::vector<double> scales;        // per output channel, or one per tensor
    std::optional<IntegerConv> conv;   // the integer kernel, for group-1 Convs (not an image's,
                                       // conv_reads_tap_rows) and ConvTransposes
  };
  // Of layer `li` at `bits` 2..8. Throws std::out_of_range for other bits or a layer without an
  // integer form.
  const WeightLevels& weight_levels(size_t li, int bits) const;
  // The window of a 2-D Conv layer, its group count and its TapReach; nullptr for other layers.
  struct ConvWindow {
    Window window;
    int64_t group = 1;
    TapReach reach;
  };
  const ConvWindow* conv_window(size_t li) const {
    return layers_[li].conv_window ? &*layers_[li].conv_window : nullptr;
  }
  // The tile a 2-D ConvTranspose writes each input pixel to, when the tiles do not overlap
  // (group 1, strides = kernel, no pads, dilations, output padding or output_shape): the kernel's
  // {height, width}; nullptr for other layers.
  const Shape* transpose_tile(size_t li) const {
    return layers_[li].transpose_tile ? &*layers_[li].transpose_tile : nullptr;
  }
  // Shape of the layer's input (static, from the load-time check).
  const Shape& input_shape(size_t li) const { return layers_[li].input_shape; }
  // Dynamic-ResQ geometry of the layer's input (see pixel_layout.h).
  const PixelLayout& pixels(size_t li) const { return layers_[li].pixels; }
  const std::vector<double>& mac_shares(size_t li) const { return layers_[li].mac_shares; }
  // Activation quantizers; std::nullopt-like "near float" (16, 32 bits) is signalled by
  // passes_through(bits). Throws std::out_of_range naming the layer for uncalibrated bits.
  UniformQuantizer key_activation(size_t li, int bits) const;
  UniformQuantizer residual_activation(size_t li, int bits) const;
  // Activations at 16 and 32 bits are kept as float ("near float").
  static bool passes_through(int bits) { return bits >= 16; }

 private:
  std::shared_ptr<const Graph> graph_;
  Calibration calibration_;
  std::vector<size_t> linear_nodes_;
  std::map<size_t, size_t> linear_index_;
  std::vector<int64_t> macs_;
  // The widths every layer's weights are quantized to. A layer keeps them in arrays in this
  // order: a frame's lookups read one cache line, not map nodes the activations have evicted.
  static constexpr std::array<int, 9> kWeightBits = {2, 3, 4, 5, 6, 7, 8, 16, 32};
  static constexpr size_t kWidths = kWeightBits.size();
  // Position of `bits` in kWeightBits; kWidths when it is not a weight width.
  static size_t width_slot(int bits);
  struct Layer {
    std::array<Tensor, kWidths> weights;  // every width
    std::array<double, kWidths> weight_norms{};
    std::array<std::optional<WeightLevels>, kWidths> levels;  // <= 8 bits, integer-form layers
    int out_channel_axis = -1;           // -1: no integer form
    std::optional<ConvWindow> conv_window;
    std::optional<Shape> transpose_tile;
    Shape input_shape;
    PixelLayout pixels;
    std::vector<double> mac_shares;
  };
  std::vector<Layer> layers_;
};

}  // namespace resq
