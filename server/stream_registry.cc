#include "server/stream_registry.h"

#include <stdexcept>
#include <utility>

#include "server/proto_convert.h"

namespace resq::server {

StreamEntry::StreamEntry(std::string id, std::string origin, StreamSettings settings,
                         std::unique_ptr<StreamTarget> target,
                         std::unique_ptr<StreamMetrics> metrics)
    : id_(std::move(id)),
      origin_(std::move(origin)),
      target_(std::move(target)),
      settings_(std::move(settings)),
      metrics_(std::move(metrics)) {}

void StreamEntry::update(const v1::StreamConfig& config) {
  std::lock_guard lock(mutex_);
  const StreamSettings merged = merged_settings(settings_, config);
  target_->set_config(merged, resolve_stream_config(merged));
  settings_ = merged;
  if (metrics_) metrics_->count_config_update();
}

void StreamEntry::count_received() {
  std::lock_guard lock(mutex_);
  ++totals_.received;
}

void StreamEntry::count_dropped() {
  std::lock_guard lock(mutex_);
  ++totals_.dropped;
  if (metrics_) metrics_->count_dropped();
}

void StreamEntry::count_error() {
  std::lock_guard lock(mutex_);
  ++totals_.errors;
}

void StreamEntry::count_processed(const FrameCost& cost) {
  std::lock_guard lock(mutex_);
  ++totals_.processed;
  totals_.keyframes += cost.keyframe ? 1 : 0;
  totals_.repeated += cost.repeated ? 1 : 0;
  totals_.latency_ms_sum += cost.latency_ms;
  if (metrics_) metrics_->count_frame(cost, target_->memory());
}

StreamTotals StreamEntry::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

v1::StreamInfo StreamEntry::info() const {
  std::lock_guard lock(mutex_);
  v1::StreamInfo info;
  info.set_stream_id(id_);
  info.set_origin(origin_);
  *info.mutable_config() = to_proto(settings_, target_->config());
  info.set_frames_received(totals_.received);
  info.set_frames_processed(totals_.processed);
  info.set_frames_dropped(totals_.dropped);
  info.set_frame_errors(totals_.errors);
  info.set_keyframes(totals_.keyframes);
  info.set_repeated_frames(totals_.repeated);
  info.set_mean_latency_ms(totals_.processed == 0
                               ? 0.0
                               : totals_.latency_ms_sum / static_cast<double>(totals_.processed));
  return info;
}

void StreamEntry::end_metrics() {
  std::lock_guard lock(mutex_);
  metrics_.reset();
}

StreamRegistry::StreamRegistry(std::shared_ptr<const LoadedModel> model, StreamSettings defaults,
                               size_t max_streams, ServerMetrics& metrics)
    : model_(std::move(model)),
      defaults_(std::move(defaults)),
      max_streams_(max_streams),
      metrics_(metrics) {}

StreamRegistry::~StreamRegistry() {
  std::map<std::string, std::shared_ptr<StreamEntry>> streams;
  {
    std::lock_guard lock(mutex_);
    streams.swap(streams_);
  }
  // Unlocked: a pipeline's bus thread that is ending its stream calls close() meanwhile.
  streams.clear();
}

grpc::Status StreamRegistry::open(const std::string& id, const std::string& origin,
                                  const v1::StreamConfig& config, const TargetFactory& make_target,
                                  std::shared_ptr<StreamEntry>* opened) {
  if (id.empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "stream_id: empty"};
  // A duplicate id or a full server is refused before the target is built (a pipeline target
  // starts a GStreamer pipeline); checked again below, as another open may have won meanwhile.
  {
    std::lock_guard lock(mutex_);
    if (grpc::Status refused = admission(id); !refused.ok()) return refused;
  }
  std::unique_ptr<StreamTarget> target;
  StreamSettings settings;
  try {
    settings = merged_settings(defaults_, config);
    target = make_target(settings, resolve_stream_config(settings));
  } catch (const std::invalid_argument& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, std::string("config: ") + e.what()};
  }
  std::lock_guard lock(mutex_);
  if (grpc::Status refused = admission(id); !refused.ok()) return refused;
  // max_streams_ also caps the `stream` label's cardinality: series live while a stream is open.
  auto entry = std::make_shared<StreamEntry>(id, origin, std::move(settings), std::move(target),
                                             metrics_.open_stream(id));
  streams_.emplace(id, entry);
  metrics_.set_streams_active(streams_.size());
  *opened = std::move(entry);
  return grpc::Status::OK;
}

grpc::Status StreamRegistry::admission(const std::string& id) const {
  if (streams_.contains(id))
    return {grpc::StatusCode::ALREADY_EXISTS, "stream_id: \"" + id + "\" is already open"};
  if (streams_.size() >= max_streams_)
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "the server runs its maximum of " + std::to_string(max_streams_) + " streams"};
  return grpc::Status::OK;
}

void StreamRegistry::close(const StreamEntry& entry) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(entry.id());
  if (it == streams_.end() || it->second.get() != &entry) return;
  it->second->end_metrics();
  streams_.erase(it);
  metrics_.set_streams_active(streams_.size());
}

std::shared_ptr<StreamEntry> StreamRegistry::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<StreamEntry>> StreamRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<StreamEntry>> entries;
  for (const auto& [id, entry] : streams_) entries.push_back(entry);
  return entries;
}

}  // namespace resq::server
