// resq-server's Prometheus metrics (docs: server/README.md). ServerMetrics owns the families;
// each open stream gets a StreamMetrics with its labelled series, removed when it closes.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "engine/resq/frame_cost.h"
#include "server/process_metrics.h"
#include "server/stream_memory.h"

namespace resq::server {

class ServerMetrics;

// One stream's series. Not thread-safe: StreamEntry calls it under its own lock.
class StreamMetrics {
 public:
  StreamMetrics(ServerMetrics& metrics, const std::string& stream);
  ~StreamMetrics();  // removes every series of the stream
  StreamMetrics(const StreamMetrics&) = delete;
  StreamMetrics& operator=(const StreamMetrics&) = delete;

  void count_frame(const FrameCost& cost, const StreamMemory& memory);
  void count_dropped() { dropped_.Increment(); }
  void count_config_update() { config_updates_.Increment(); }

 private:
  ServerMetrics& metrics_;
  const std::string stream_;
  prometheus::Counter& frames_;
  prometheus::Counter& keyframes_;
  prometheus::Counter& repeated_;
  prometheus::Counter& keyframe_bops_;
  prometheus::Counter& residual_bops_;
  prometheus::Counter& fp32_bops_;
  prometheus::Counter& w8a8_bops_;
  prometheus::Histogram& latency_;
  prometheus::Counter& cpu_seconds_;
  prometheus::Counter& dropped_;
  prometheus::Counter& config_updates_;
  prometheus::Gauge& keyframe_cache_bytes_;
  prometheus::Gauge& activation_buffer_bytes_;
  prometheus::Gauge& scratch_bytes_;
  std::map<int, prometheus::Counter*> residual_pixels_;  // by bits, added as bit-widths appear
};

class ServerMetrics {
 public:
  ServerMetrics();

  // Serves the registry at http://`listen`/metrics. Throws std::runtime_error naming the
  // address when it cannot listen.
  void expose(const std::string& listen);
  int port() const;  // the port bound by expose (0: not exposed)

  // The label-cardinality cap on `stream` is the registry's max streams: a stream's series
  // exist only while it is open.
  std::unique_ptr<StreamMetrics> open_stream(const std::string& stream) {
    return std::make_unique<StreamMetrics>(*this, stream);
  }
  void set_streams_active(size_t count) { streams_active_.Set(static_cast<double>(count)); }

 private:
  friend class StreamMetrics;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& frames_;
  prometheus::Family<prometheus::Counter>& keyframes_;
  prometheus::Family<prometheus::Counter>& repeated_;
  prometheus::Family<prometheus::Counter>& bops_;
  prometheus::Family<prometheus::Counter>& reference_bops_;
  prometheus::Family<prometheus::Counter>& residual_pixels_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& cpu_seconds_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& config_updates_;
  prometheus::Family<prometheus::Gauge>& keyframe_cache_bytes_;
  prometheus::Family<prometheus::Gauge>& activation_buffer_bytes_;
  prometheus::Family<prometheus::Gauge>& scratch_bytes_;
  prometheus::Gauge& shared_buffer_bytes_;
  prometheus::Gauge& streams_active_;
  std::shared_ptr<ProcessMetrics> process_ = std::make_shared<ProcessMetrics>();
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace resq::server
