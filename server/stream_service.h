// resq.v1.StreamService: one reactor per Process call (gRPC callback API). The gRPC threads
// only read and queue frames; each stream's frames run on a worker thread of its own, which
// writes one result at a time (one write in flight).
#pragma once

#include <chrono>
#include <cstddef>

#include "resq/v1/stream.grpc.pb.h"
#include "server/stream_registry.h"

namespace resq::server {

struct StreamLimits {
  size_t max_frame_bytes = 8 << 20;  // larger images get a FrameError
  size_t queue_depth = 4;            // frames queued per stream before the oldest is dropped
  // A Process call that sends no frame for this long ends with DEADLINE_EXCEEDED and frees
  // its stream (clients that vanish without closing); 0: never.
  std::chrono::milliseconds idle_timeout{60'000};
};

class StreamServiceImpl final : public v1::StreamService::CallbackService {
 public:
  StreamServiceImpl(StreamRegistry& registry, StreamLimits limits)
      : registry_(registry), limits_(limits) {}

  grpc::ServerBidiReactor<v1::ProcessRequest, v1::ProcessResponse>* Process(
      grpc::CallbackServerContext* context) override;

 private:
  StreamRegistry& registry_;
  const StreamLimits limits_;
};

}  // namespace resq::server
