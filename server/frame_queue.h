// One stream's frames between the gRPC thread that reads them and the worker that runs them.
// Bounded: when the client sends faster than the stream runs, the oldest frame is dropped, so
// memory never grows with the backlog.
#pragma once

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
    ready_.notify_one();
    return dropped;
  }

  // Blocks until a frame is queued; nullopt once closed and drained (or cancelled).
  std::optional<QueuedFrame> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !frames_.empty() || closed_; });
    if (frames_.empty()) return std::nullopt;
    QueuedFrame frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
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
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<QueuedFrame> frames_;
  bool closed_ = false;
};

}  // namespace resq::server
