// resq.v1.StreamService: one reactor per Process call (gRPC callback API). The gRPC threads
// only read and queue frames; the frames run on a pool of worker threads sized to the cores,
// one frame of a stream at a time, and each stream has one write in flight.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "resq/v1/stream.grpc.pb.h"
#include "server/idle_watch.h"
#include "server/stream_registry.h"
#include "server/worker_pool.h"

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
  // `workers` threads run every Process call's frames.
  StreamServiceImpl(StreamRegistry& registry, StreamLimits limits, size_t workers)
      : registry_(registry), limits_(limits), pool_(workers), idle_watch_(limits.idle_timeout) {}

  grpc::ServerBidiReactor<v1::ProcessRequest, v1::ProcessResponse>* Process(
      grpc::CallbackServerContext* context) override;

 private:
  StreamRegistry& registry_;
  const StreamLimits limits_;
  WorkerPool pool_;
  IdleWatch idle_watch_;
  std::atomic<uint64_t> opened_ = 0;  // streams opened so far: spreads their keyframes
};

}  // namespace resq::server
