// One stream's frames between the gRPC thread that reads them and the worker that runs them.
// Bounded: when the client sends faster than the stream runs, the oldest frame is dropped, so
// memory never grows with the backlog.
#pragma once

#include <chrono>
#include <condition_variable>
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
    ready_.notify_one();
    return dropped;
  }

  // Blocks until a frame is queued; nullopt once closed and drained (or cancelled), or when no
  // frame arrived for `idle` (then idle_expired()).
  std::optional<QueuedFrame> pop(Clock::duration idle = Clock::duration::max()) {
    std::unique_lock lock(mutex_);
    const auto ready = [&] { return !frames_.empty() || closed_; };
    if (idle == Clock::duration::max()) {
      ready_.wait(lock, ready);
    } else if (!ready_.wait_until(lock, last_push_ + idle, ready)) {
      idle_expired_ = true;
      return std::nullopt;
    }
    if (frames_.empty()) return std::nullopt;
    QueuedFrame frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }

  bool idle_expired() const {
    std::lock_guard lock(mutex_);
    return idle_expired_;
  }

  // No more frames: the queued ones still pop.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }

  // No more frames and the queued ones are discarded.
  void cancel() {
    std::lock_guard lock(mutex_);
    frames_.clear();
    closed_ = true;
    ready_.notify_all();
  }

 private:
  const size_t depth_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<QueuedFrame> frames_;
  Clock::time_point last_push_ = Clock::now();  // the idle time counts from here
  bool closed_ = false;
  bool idle_expired_ = false;
};

}  // namespace resq::server
