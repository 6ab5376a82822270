#include "engine/resq/quantized_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/error.h"
#include "engine/executor.h"
#include "engine/ops/conv.h"

namespace resq {
namespace {

UniformQuantizer from_table(const std::map<int, double>& clips, int bits, const std::string& node,
                            const char* role) {
  if (bits == 0) return UniformQuantizer::from_clip(0, 0.0);  // "send nothing" needs no range
  auto it = clips.find(bits);
  if (it == clips.end())
    throw std::out_of_range("layer '" + node + "': no calibrated " + role + " range for " +
                            std::to_string(bits) + " bits");
  return UniformQuantizer::from_clip(bits, it->second);
}

}  // namespace

QuantizedModel::QuantizedModel(std::shared_ptr<const Graph> graph, const Calibration& calibration,
                               WeightGranularity granularity)
    : graph_(std::move(graph)), calibration_(calibration) {
  if (calibration_.model_fingerprint != model_fingerprint(*graph_))
    throw ModelError(graph_->source + ": the calibration was made for a different model "
                     "(weights fingerprint differs)");
  Executor shapes(graph_);  // the load-time check gives linear layers and their MACs
  linear_nodes_ = shapes.linear_nodes();
  if (calibration_.layers.size() != linear_nodes_.size())
    throw ModelError(graph_->source + ": calibration has " +
                     std::to_string(calibration_.layers.size()) + " layers, the model has " +
                     std::to_string(linear_nodes_.size()) +
                     " linear layers (calibration made for a different model?)");
  for (size_t li = 0; li < linear_nodes_.size(); ++li) {
    const Node& n = graph_->nodes[linear_nodes_[li]];
    if (calibration_.layers[li].node != n.name)
      throw ModelError(graph_->source + ": calibration layer " + std::to_string(li) + " is '" +
                       calibration_.layers[li].node + "' but the model's is '" + n.name +
                       "' (calibration made for a different model?)");
    linear_index_[linear_nodes_[li]] = li;
    macs_.push_back(shapes.node_macs(linear_nodes_[li]));
    const Tensor& w = *graph_->values[static_cast<size_t>(n.inputs[1])].constant;
    std::optional<int> axis = weight_channel_axis(n, w.rank());
    WeightGranularity g = axis ? granularity : WeightGranularity::kPerTensor;
    const auto& x = shapes.values()[static_cast<size_t>(n.inputs[0])];
    if (!x.known)
      throw ModelError(graph_->where(n) + ": input shape unknown at load; ResQ needs static shapes");
    const Shape& y = shapes.values()[static_cast<size_t>(n.outputs[0])].meta.shape;
    Layer layer;
    if (n.op_type == "Conv" || n.op_type == "ConvTranspose") layer.out_channel_axis = 1;
    if (n.op_type == "MatMul") layer.out_channel_axis = static_cast<int>(y.size()) - 1;
    if (n.op_type == "Conv" && w.rank() == 4) {
      Window window = forward_window(parse_window_attrs(n.attrs),
                                     Shape(x.meta.shape.begin() + 2, x.meta.shape.end()),
                                     Shape(w.shape().begin() + 2, w.shape().end()));
      TapReach reach(window);
      layer.conv_window = ConvWindow{std::move(window), n.attrs.get_int("group", 1), std::move(reach)};
    }
    if (n.op_type == "ConvTranspose" && w.rank() == 4) {
      const Shape kernel(w.shape().begin() + 2, w.shape().end());
      auto all = [&](const char* name, int64_t v) {
        const std::vector<int64_t> a = n.attrs.get_ints(name, {});
        return std::all_of(a.begin(), a.end(), [v](int64_t e) { return e == v; });
      };
      const Shape& xs = x.meta.shape;
      const Shape tiled = {xs[0], w.shape()[1], xs[2] * kernel[0], xs[3] * kernel[1]};
      if (n.attrs.get_int("group", 1) == 1 && n.attrs.get_ints("strides", {}) == kernel &&
          all("pads", 0) && all("dilations", 1) && all("output_padding", 0) &&
          n.attrs.get_ints("output_shape", {}).empty() && y == tiled)
        layer.transpose_tile = kernel;
    }
    // An image's conv sums its levels faster in the float op, which reads taps in place.
    const bool float_op_faster =
        n.op_type == "Conv" &&
        conv_reads_tap_rows(w.shape()[1], Shape(w.shape().begin() + 2, w.shape().end()));
    for (size_t slot = 0; slot < kWidths; ++slot) {
      const int bits = kWeightBits[slot];
      // 32 bits are the float weights themselves, so W32A32 runs exactly as fp32.
      QuantizedWeight qw;
      if (bits != 32) qw = quantize_weight(w, bits, g, axis.value_or(0));
      Tensor q = bits == 32 ? w : std::move(qw.weight);
      if (bits <= 8 && layer.out_channel_axis >= 0) {
        std::optional<IntegerConv> conv;
        if (!float_op_faster) conv = IntegerConv::make(n, x.meta.shape, qw.levels);
        layer.levels[slot] = WeightLevels{std::move(qw.levels), std::move(qw.scales), std::move(conv)};
      }
      double sq = 0;
      for (float v : q.floats()) sq += static_cast<double>(v) * v;
      layer.weight_norms[slot] = std::sqrt(sq);
      layer.weights[slot] = std::move(q);
    }
    layer.input_shape = x.meta.shape;
    layer.pixels = pixel_layout(n, x.meta.shape);
    layer.mac_shares = pixel_mac_shares(n, x.meta.shape, w.shape());
    layers_.push_back(std::move(layer));
  }
}

int64_t QuantizedModel::total_macs() const {
  int64_t total = 0;
  for (int64_t m : macs_) total += m;
  return total;
}

int64_t QuantizedModel::total_pixels() const {
  int64_t total = 0;
  for (const Layer& l : layers_) total += l.pixels.pixels();
  return total;
}

size_t QuantizedModel::width_slot(int bits) {
  return static_cast<size_t>(std::find(kWeightBits.begin(), kWeightBits.end(), bits) -
                             kWeightBits.begin());
}

const Tensor& QuantizedModel::weight(size_t li, int bits) const {
  const Layer& l = layers_.at(li);
  const size_t slot = width_slot(bits);
  if (slot == kWidths)
    throw std::out_of_range("layer '" + calibration_.layers[li].node + "': no weights at " +
                            std::to_string(bits) + " bits");
  return l.weights[slot];
}

const QuantizedModel::WeightLevels& QuantizedModel::weight_levels(size_t li, int bits) const {
  const Layer& l = layers_.at(li);
  const size_t slot = width_slot(bits);
  if (slot == kWidths || !l.levels[slot])
    throw std::out_of_range("layer '" + calibration_.layers[li].node + "': no integer weights at " +
                            std::to_string(bits) + " bits");
  return *l.levels[slot];
}

double QuantizedModel::weight_norm(size_t li, int bits) const {
  weight(li, bits);  // same error for unknown bits
  return layers_[li].weight_norms[width_slot(bits)];
}

UniformQuantizer QuantizedModel::key_activation(size_t li, int bits) const {
  return from_table(calibration_.layers.at(li).key_clip, bits, calibration_.layers[li].node,
                    "keyframe");
}

UniformQuantizer QuantizedModel::residual_activation(size_t li, int bits) const {
  return from_table(calibration_.layers.at(li).residual_clip, bits, calibration_.layers[li].node,
                    "residual");
}

}  // namespace resq
