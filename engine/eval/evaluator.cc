#include "engine/eval/evaluator.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/eval/output_metrics.h"
#include "engine/resq/stream_session.h"

namespace resq {
namespace {

std::map<int, double> shares(const std::map<int, int64_t>& counts) {
  int64_t total = 0;
  for (const auto& [bits, count] : counts) total += count;
  std::map<int, double> s;
  for (const auto& [bits, count] : counts)
    s[bits] = static_cast<double>(count) / static_cast<double>(total);
  return s;
}

}  // namespace

EvalResult evaluate(std::shared_ptr<const QuantizedModel> model, const EvalConfig& config,
                    std::span<const std::vector<Tensor>> frames,
                    std::span<const Tensor> reference, const EvalOptions& options,
                    const std::function<void()>& on_frame) {
  if (frames.size() != reference.size() || frames.empty())
    throw std::invalid_argument("evaluate: " + std::to_string(frames.size()) + " frames and " +
                                std::to_string(reference.size()) + " reference outputs");
  StreamSession session(std::move(model), config.stream);
  EvalResult r;
  r.config = config;
  r.iou_min = 1;
  double signal = 0, error = 0;
  std::map<int, int64_t> pixels, residual_pixels;
  std::map<int64_t, std::pair<int64_t, double>> by_distance;  // distance -> frames, IoU sum
  std::vector<double> latency;
  for (size_t i = 0; i < frames.size(); ++i) {
    std::vector<Tensor> out = session.process(frames[i]);
    if (options.output >= out.size())
      throw std::invalid_argument("the model has " + std::to_string(out.size()) +
                                  " outputs, no output " + std::to_string(options.output));
    const FrameCost& c = session.last_cost();
    const OutputComparison cmp =
        compare_outputs(out[options.output].floats(), reference[i].floats(), options.threshold);
    r.keyframes += c.keyframe;
    r.gbops += c.bops;
    r.policy_gbops += c.policy_bops;
    r.gbops_fp32 += c.bops_fp32;
    r.gbops_w8a8 += c.bops_w8a8;
    r.iou_mean += cmp.iou;
    r.iou_min = std::min(r.iou_min, cmp.iou);
    r.mean_abs += cmp.mean_abs;
    signal += cmp.signal;
    error += cmp.error;
    for (const auto& [bits, n] : c.pixels_per_bits) {
      pixels[bits] += n;
      if (c.keyframe_distance > 0) residual_pixels[bits] += n;
    }
    auto& d = by_distance[c.keyframe_distance];
    d.first += 1;
    d.second += cmp.iou;
    latency.push_back(c.latency_ms);
    if (on_frame) on_frame();
  }
  const auto n = static_cast<double>(frames.size());
  r.frames = static_cast<int64_t>(frames.size());
  for (double* v : {&r.gbops, &r.policy_gbops, &r.gbops_fp32, &r.gbops_w8a8}) *v /= n * 1e9;
  r.iou_mean /= n;
  r.mean_abs /= n;
  r.sqnr_db = sqnr_db(signal, error);
  r.pixel_fraction = shares(pixels);
  r.residual_pixel_fraction = shares(residual_pixels);
  for (const auto& [distance, d] : by_distance)
    r.by_distance.push_back({distance, d.first, d.second / static_cast<double>(d.first)});
  std::nth_element(latency.begin(), latency.begin() + latency.size() / 2, latency.end());
  r.latency_ms_median = latency[latency.size() / 2];
  return r;
}

}  // namespace resq
