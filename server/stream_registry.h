// Every stream the server runs, whichever way it arrived (a gRPC Process call or a server-side
// pipeline), by stream id: the control plane acts on all of them the same way.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "engine/stream/resq_stream.h"
#include "engine/stream/stream_settings.h"
#include "server/metrics.h"
#include "resq/v1/control.pb.h"

namespace resq::server {

struct StreamTotals {
  uint64_t received = 0;
  uint64_t processed = 0;
  uint64_t dropped = 0;
  uint64_t errors = 0;
  uint64_t keyframes = 0;
  double latency_ms_sum = 0;
};

// One open stream. The ResQStream's frames run on the stream's own worker; config changes and
// forced keyframes come from any thread (ResQStream allows that).
class StreamEntry {
 public:
  StreamEntry(std::string id, std::string origin, StreamSettings settings,
              std::unique_ptr<ResQStream> stream, std::unique_ptr<StreamMetrics> metrics);

  const std::string& id() const { return id_; }
  ResQStream& stream() { return *stream_; }

  // Applies the fields `config` sets. Throws std::invalid_argument naming the problem and
  // keeps the old config.
  void update(const v1::StreamConfig& config);
  void force_keyframe() { stream_->force_keyframe(); }

  void count_received();
  void count_dropped();
  void count_error();
  void count_processed(const FrameCost& cost);
  StreamTotals totals() const;
  v1::StreamInfo info() const;
  // Removes the stream's series when it closes; counts after that only reach the totals.
  void end_metrics();

 private:
  const std::string id_;
  const std::string origin_;
  const std::unique_ptr<ResQStream> stream_;
  mutable std::mutex mutex_;  // guards settings_, totals_ and metrics_
  StreamSettings settings_;
  StreamTotals totals_;
  std::unique_ptr<StreamMetrics> metrics_;  // null once ended
};

class StreamRegistry {
 public:
  // Streams run `model`; without a calibration `defaults` must be fp32 (see ResQStream).
  StreamRegistry(std::shared_ptr<const LoadedModel> model, StreamSettings defaults,
                 size_t max_streams, ServerMetrics& metrics);

  // INVALID_ARGUMENT (empty id, bad config), ALREADY_EXISTS, RESOURCE_EXHAUSTED (max streams).
  grpc::Status open(const std::string& id, const std::string& origin,
                    const v1::StreamConfig& config, std::shared_ptr<StreamEntry>* opened);
  // Removes `entry` (not a later stream that reuses its id).
  void close(const StreamEntry& entry);
  // Null when no such stream is open.
  std::shared_ptr<StreamEntry> find(const std::string& id) const;
  std::vector<std::shared_ptr<StreamEntry>> list() const;  // ordered by id

 private:
  const std::shared_ptr<const LoadedModel> model_;
  const StreamSettings defaults_;
  const size_t max_streams_;
  ServerMetrics& metrics_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<StreamEntry>> streams_;
};

}  // namespace resq::server
