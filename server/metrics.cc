#include "server/metrics.h"

#include <exception>
#include <stdexcept>
#include <vector>

#include "engine/value_buffers.h"

namespace resq::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Frame latencies from 1 ms (small models, skipped frames) to 1 s (fp32 on a slow core).
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};

}  // namespace

StreamMetrics::StreamMetrics(ServerMetrics& metrics, const std::string& stream)
    : metrics_(metrics),
      stream_(stream),
      frames_(metrics.frames_.Add({{"stream", stream}})),
      keyframes_(metrics.keyframes_.Add({{"stream", stream}})),
      repeated_(metrics.repeated_.Add({{"stream", stream}})),
      keyframe_bops_(metrics.bops_.Add({{"stream", stream}, {"frame_type", "keyframe"}})),
      residual_bops_(metrics.bops_.Add({{"stream", stream}, {"frame_type", "residual"}})),
      fp32_bops_(metrics.reference_bops_.Add({{"stream", stream}, {"reference", "fp32"}})),
      w8a8_bops_(metrics.reference_bops_.Add({{"stream", stream}, {"reference", "w8a8"}})),
      latency_(metrics.latency_.Add({{"stream", stream}}, kLatencyBuckets)),
      cpu_seconds_(metrics.cpu_seconds_.Add({{"stream", stream}})),
      dropped_(metrics.dropped_.Add({{"stream", stream}})),
      config_updates_(metrics.config_updates_.Add({{"stream", stream}})),
      keyframe_cache_bytes_(metrics.keyframe_cache_bytes_.Add({{"stream", stream}})),
      activation_buffer_bytes_(metrics.activation_buffer_bytes_.Add({{"stream", stream}})),
      scratch_bytes_(metrics.scratch_bytes_.Add({{"stream", stream}})) {}

StreamMetrics::~StreamMetrics() {
  metrics_.frames_.Remove(&frames_);
  metrics_.keyframes_.Remove(&keyframes_);
  metrics_.repeated_.Remove(&repeated_);
  metrics_.bops_.Remove(&keyframe_bops_);
  metrics_.bops_.Remove(&residual_bops_);
  metrics_.reference_bops_.Remove(&fp32_bops_);
  metrics_.reference_bops_.Remove(&w8a8_bops_);
  metrics_.latency_.Remove(&latency_);
  metrics_.cpu_seconds_.Remove(&cpu_seconds_);
  metrics_.dropped_.Remove(&dropped_);
  metrics_.config_updates_.Remove(&config_updates_);
  metrics_.keyframe_cache_bytes_.Remove(&keyframe_cache_bytes_);
  metrics_.activation_buffer_bytes_.Remove(&activation_buffer_bytes_);
  metrics_.scratch_bytes_.Remove(&scratch_bytes_);
  for (const auto& [bits, counter] : residual_pixels_) metrics_.residual_pixels_.Remove(counter);
}

void StreamMetrics::count_frame(const FrameCost& cost, const StreamMemory& memory) {
  frames_.Increment();
  (cost.keyframe ? keyframe_bops_ : residual_bops_).Increment(cost.bops);
  fp32_bops_.Increment(cost.bops_fp32);
  w8a8_bops_.Increment(cost.bops_w8a8);
  latency_.Observe(cost.latency_ms / 1000.0);
  cpu_seconds_.Increment(cost.cpu_ms / 1000.0);
  keyframe_cache_bytes_.Set(static_cast<double>(memory.keyframe_cache_bytes));
  activation_buffer_bytes_.Set(static_cast<double>(memory.activation_buffer_bytes));
  scratch_bytes_.Set(static_cast<double>(memory.scratch_bytes));
  metrics_.shared_buffer_bytes_.Set(static_cast<double>(ValueBuffers::shared_bytes()));
  if (cost.keyframe) {
    keyframes_.Increment();
    return;
  }
  if (cost.repeated) repeated_.Increment();
  for (const auto& [bits, pixels] : cost.pixels_per_bits) {
    prometheus::Counter*& counter = residual_pixels_[bits];
    if (!counter)
      counter = &metrics_.residual_pixels_.Add(
          {{"stream", stream_}, {"bits", std::to_string(bits)}});
    counter->Increment(static_cast<double>(pixels));
  }
}

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      frames_(BuildCounter()
                  .Name("resq_frames_total")
                  .Help("Frames processed")
                  .Register(*registry_)),
      keyframes_(BuildCounter()
                     .Name("resq_keyframes_total")
                     .Help("Frames processed as keyframes (high precision)")
                     .Register(*registry_)),
      repeated_(BuildCounter()
                    .Name("resq_repeated_frames_total")
                    .Help("Frames whose outputs frame skipping repeated (the network did not run)")
                    .Register(*registry_)),
      bops_(BuildCounter()
                .Name("resq_bops_total")
                .Help("Bit operations of the linear layers and the Dynamic-ResQ policy")
                .Register(*registry_)),
      reference_bops_(BuildCounter()
                          .Name("resq_reference_bops_total")
                          .Help("Bit operations the same frames would take at fp32 or w8a8")
                          .Register(*registry_)),
      residual_pixels_(BuildCounter()
                           .Name("resq_residual_pixels_total")
                           .Help("Linear-layer input pixels of residual frames by activation bits")
                           .Register(*registry_)),
      latency_(BuildHistogram()
                   .Name("resq_frame_latency_seconds")
                   .Help("Wall-clock time of a frame through the engine")
                   .Register(*registry_)),
      cpu_seconds_(BuildCounter()
                       .Name("resq_engine_cpu_seconds_total")
                       .Help("CPU time of the threads running the stream's frames through the "
                             "engine (its rate: cores the stream takes)")
                       .Register(*registry_)),
      dropped_(BuildCounter()
                   .Name("resq_dropped_frames_total")
                   .Help("Frames dropped from a full queue")
                   .Register(*registry_)),
      config_updates_(BuildCounter()
                          .Name("resq_config_updates_total")
                          .Help("Stream configs changed by UpdateStreamConfig")
                          .Register(*registry_)),
      keyframe_cache_bytes_(BuildGauge()
                                .Name("resq_keyframe_cache_bytes")
                                .Help("Bytes of the stream's keyframe cache")
                                .Register(*registry_)),
      activation_buffer_bytes_(BuildGauge()
                                   .Name("resq_activation_buffer_bytes")
                                   .Help("Bytes of the stream's buffers for the layers' outputs")
                                   .Register(*registry_)),
      scratch_bytes_(BuildGauge()
                         .Name("resq_scratch_bytes")
                         .Help("Bytes of the stream's work buffers (quantized layers, Dynamic-ResQ "
                               "policy, operators)")
                         .Register(*registry_)),
      shared_buffer_bytes_(BuildGauge()
                               .Name("resq_shared_buffer_bytes")
                               .Help("Bytes of the layers' output buffers that the streams run on "
                                     "one thread share (a set per thread and model)")
                               .Register(*registry_)
                               .Add({})),
      streams_active_(BuildGauge()
                          .Name("resq_streams_active")
                          .Help("Streams open")
                          .Register(*registry_)
                          .Add({})) {}

void ServerMetrics::expose(const std::string& listen) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    throw std::runtime_error("--metrics-listen " + listen + ": cannot listen there (" +
                             e.what() + ")");
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(process_);
}

int ServerMetrics::port() const {
  if (!exposer_) return 0;
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace resq::server
