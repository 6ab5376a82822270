#include "engine/resq/calibrator.h"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/executor.h"
#include "engine/op_registry.h"
#include "engine/quant/range_search.h"

namespace resq {
namespace {

// Records each linear layer's FP32 input while the executor runs the frame normally.
class InputRecorder : public LinearLayerRunner {
 public:
  explicit InputRecorder(size_t frames) : inputs(frames) {}
  void run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override {
    inputs[frame][node] = *in[0];
    op.run(in, out);
  }
  size_t frame = 0;
  std::vector<std::map<size_t, Tensor>> inputs;  // [frame][node]
};

TensorMeta meta(const Tensor* t) {
  return t ? TensorMeta{t->dtype(), t->shape(), t} : TensorMeta{DType::kFloat32, {}, nullptr, false};
}

// Runs a standalone copy of a linear node on (x, w, bias or nothing), sizing `out` itself.
void run_layer(const Op& op, const Node& n, const Graph& g, const Tensor& x, const Tensor& w,
               bool with_bias, Tensor& out) {
  std::vector<const Tensor*> args = {&x, &w};
  for (size_t i = 2; i < n.inputs.size(); ++i)
    args.push_back(with_bias && n.inputs[i] != kNoValue
                       ? g.values[static_cast<size_t>(n.inputs[i])].constant.get()
                       : nullptr);
  std::vector<TensorMeta> metas;
  for (const Tensor* t : args) metas.push_back(meta(t));
  auto shapes = op.infer(metas);
  out.resize(shapes->at(0).shape);
  Tensor* outs[] = {&out};
  op.run(args, outs);
}

// Evenly spread picks of `count` items out of `available`.
std::vector<size_t> spread(size_t available, size_t count) {
  std::vector<size_t> picks;
  count = std::min(count, available);
  for (size_t i = 0; i < count; ++i) picks.push_back(i * available / count);
  return picks;
}

}  // namespace

Calibration calibrate(std::shared_ptr<const Graph> graph, std::span<const std::vector<Tensor>> frames,
                      const CalibrationOptions& o, const CalibrationProgress& progress) {
  if (frames.size() < 2) throw std::invalid_argument("calibration needs at least 2 frames");
  if (o.samples < 1 || o.search_points < 1 || o.max_distance < 1)
    throw std::invalid_argument("calibration: samples, search points and max distance must be >= 1");
  const Graph& g = *graph;
  Executor ex(graph);
  InputRecorder rec(frames.size());
  for (size_t f = 0; f < frames.size(); ++f) {
    rec.frame = f;
    ex.run(frames[f], &rec);
  }

  // Residual pairs (keyframe k, frame k + d), d = 1..max_distance, spread over the clip.
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t k = 0; k < frames.size(); ++k)
    for (int d = 1; d <= o.max_distance && k + static_cast<size_t>(d) < frames.size(); ++d)
      pairs.emplace_back(k, k + static_cast<size_t>(d));
  const auto frame_picks = spread(frames.size(), static_cast<size_t>(o.samples));
  const auto pair_picks = spread(pairs.size(), static_cast<size_t>(o.samples));

  Calibration cal;
  cal.model_fingerprint = model_fingerprint(g);
  const auto& linear = ex.linear_nodes();
  for (size_t li = 0; li < linear.size(); ++li) {
    const Node& n = g.nodes[linear[li]];
    auto op = find_op(n.op_type)(n.attrs);
    const Tensor& w = *g.values[static_cast<size_t>(n.inputs[1])].constant;
    std::optional<int> axis = weight_channel_axis(n, w.rank());
    const WeightGranularity granularity = axis ? o.weights : WeightGranularity::kPerTensor;

    std::vector<Tensor> xs, deltas, y_key, y_res;
    for (size_t f : frame_picks) {
      xs.push_back(rec.inputs[f].at(linear[li]));
      run_layer(*op, n, g, xs.back(), w, true, y_key.emplace_back());
    }
    for (size_t p : pair_picks) {
      const Tensor& xk = rec.inputs[pairs[p].first].at(linear[li]);
      Tensor d = rec.inputs[pairs[p].second].at(linear[li]);
      for (int64_t i = 0; i < d.numel(); ++i) d.f32()[i] -= xk.f32()[i];
      deltas.push_back(std::move(d));
      run_layer(*op, n, g, deltas.back(), w, false, y_res.emplace_back());
    }

    LayerCalibration lc;
    lc.node = n.name;
    for (int bits : o.bits) {
      const Tensor wq = quantize_weight(w, bits, granularity, axis.value_or(0)).weight;
      auto key_forward = [&](const Tensor& x, Tensor& y) { run_layer(*op, n, g, x, wq, true, y); };
      auto res_forward = [&](const Tensor& x, Tensor& y) { run_layer(*op, n, g, x, wq, false, y); };
      lc.key_clip[bits] =
          search_activation_range(xs, y_key, key_forward, bits, o.search_points).quantizer.clip();
      lc.residual_clip[bits] =
          search_activation_range(deltas, y_res, res_forward, bits, o.search_points).quantizer.clip();
    }
    cal.layers.push_back(std::move(lc));
    if (progress) progress(li + 1, linear.size());
  }
  return cal;
}

}  // namespace resq
