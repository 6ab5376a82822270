// One stream's frames between the gRPC thread that reads them and the pool worker that runs
// them. Bounded: when the client sends faster than the stream runs, the oldest frame is
// dropped, so memory never grows with the backlog.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "resq/v1/stream.pb.h"

namespace resq::server {

struct QueuedFrame {
  uint64_t index = 0;  // among the frames the stream received
  v1::Frame frame;
};

class FrameQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit FrameQueue(size_t depth) : depth_(depth) {}

  // Returns true when the oldest queued frame was dropped to make room.
  bool push(QueuedFrame frame) {
    std::lock_guard lock(mutex_);
    bool dropped = false;
    if (frames_.size() >= depth_) {
      frames_.pop_front();
      dropped = true;
    }
    frames_.push_back(std::move(frame));
    last_push_ = Clock::now();
    return dropped;
  }

  // The oldest frame; nullopt when none is queued.
  std::optional<QueuedFrame> pop() {
    std::lock_guard lock(mutex_);
    if (frames_.empty()) return std::nullopt;
    QueuedFrame frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return frames_.empty();
  }

  // When the last frame arrived (or the queue was made): idle time counts from here.
  Clock::time_point last_push() const {
    std::lock_guard lock(mutex_);
    return last_push_;
  }

  // Discards the queued frames.
  void clear() {
    std::lock_guard lock(mutex_);
    frames_.clear();
  }

 private:
  const size_t depth_;
  mutable std::mutex mutex_;
  std::deque<QueuedFrame> frames_;
  Clock::time_point last_push_ = Clock::now();
};

}  // namespace resq::server
