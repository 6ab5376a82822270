// The Prometheus client libraries' standard process metrics, which prometheus-cpp does not
// provide: process_cpu_seconds_total (all of resq-server's threads: decoding, gRPC and the
// engine, against resq_engine_cpu_seconds_total's engine alone), resident and virtual memory,
// open and maximum file descriptors, start time. Read from /proc/self at each scrape.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace resq::server {

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace resq::server
