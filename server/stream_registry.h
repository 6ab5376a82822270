// Every stream the server runs, whichever way it arrived (a gRPC Process call or a server-side
// pipeline), by stream id: the control plane acts on all of them the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "engine/stream/stream_settings.h"
#include "server/metrics.h"
#include "server/stream_target.h"
#include "resq/v1/control.pb.h"

namespace resq::server {

struct StreamTotals {
  uint64_t received = 0;
  uint64_t processed = 0;
  uint64_t dropped = 0;
  uint64_t errors = 0;
  uint64_t keyframes = 0;
  uint64_t repeated = 0;
  double latency_ms_sum = 0;
};

// One open stream. Its frames run on its own thread (a Process call's worker or a pipeline's
// streaming thread); config changes and forced keyframes come from any thread.
class StreamEntry {
 public:
  StreamEntry(std::string id, std::string origin, StreamSettings settings,
              std::unique_ptr<StreamTarget> target, std::unique_ptr<StreamMetrics> metrics);
  ~StreamEntry() { target_->stop(); }  // before the members the target's frames reach go

  const std::string& id() const { return id_; }
  const std::string& origin() const { return origin_; }

  // Applies the fields `config` sets. Throws std::invalid_argument naming the problem and
  // keeps the old config.
  void update(const v1::StreamConfig& config);
  void force_keyframe() { target_->force_keyframe(); }

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
  const std::unique_ptr<StreamTarget> target_;
  mutable std::mutex mutex_;  // guards settings_, totals_ and metrics_
  StreamSettings settings_;
  StreamTotals totals_;
  std::unique_ptr<StreamMetrics> metrics_;  // null once ended
};

// Makes a new stream's target for its first settings (and them resolved); throws
// std::invalid_argument naming the problem.
using TargetFactory =
    std::function<std::unique_ptr<StreamTarget>(const StreamSettings&, const StreamConfig&)>;

class StreamRegistry {
 public:
  // Streams run `model`; without a calibration `defaults` must be fp32 (see ResQStream).
  StreamRegistry(std::shared_ptr<const LoadedModel> model, StreamSettings defaults,
                 size_t max_streams, ServerMetrics& metrics);
  // Stops every stream's frames before the registry goes.
  ~StreamRegistry();

  const std::shared_ptr<const LoadedModel>& model() const { return model_; }

  // A stream with the defaults and the fields `config` sets, run by `make_target`'s target.
  // INVALID_ARGUMENT (empty id, bad config), ALREADY_EXISTS, RESOURCE_EXHAUSTED (max streams).
  grpc::Status open(const std::string& id, const std::string& origin,
                    const v1::StreamConfig& config, const TargetFactory& make_target,
                    std::shared_ptr<StreamEntry>* opened);
  // Removes `entry` (not a later stream that reuses its id).
  void close(const StreamEntry& entry);
  // Null when no such stream is open.
  std::shared_ptr<StreamEntry> find(const std::string& id) const;
  std::vector<std::shared_ptr<StreamEntry>> list() const;  // ordered by id

 private:
  // OK, ALREADY_EXISTS or RESOURCE_EXHAUSTED for opening `id` now; mutex_ held.
  grpc::Status admission(const std::string& id) const;

  const std::shared_ptr<const LoadedModel> model_;
  const StreamSettings defaults_;
  const size_t max_streams_;
  ServerMetrics& metrics_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<StreamEntry>> streams_;
};

}  // namespace resq::server
