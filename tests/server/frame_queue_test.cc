// The per-stream frame queue: bounded, drops the oldest frame, drains after close.
#include "server/frame_queue.h"

#include <gtest/gtest.h>

namespace resq::server {
namespace {

TEST(FrameQueueTest, FullQueueDropsTheOldestFrame) {
  FrameQueue queue(4);
  int dropped = 0;
  for (uint64_t i = 0; i < 6; ++i) dropped += queue.push({i, {}}) ? 1 : 0;
  EXPECT_EQ(dropped, 2);
  queue.close();
  for (uint64_t expected = 2; expected < 6; ++expected) EXPECT_EQ(queue.pop()->index, expected);
  EXPECT_FALSE(queue.pop().has_value());
}

TEST(FrameQueueTest, CancelDiscardsQueuedFrames_n) {
  FrameQueue queue(4);
  queue.push({0, {}});
  queue.cancel();
  EXPECT_FALSE(queue.pop().has_value());
}

}  // namespace
}  // namespace resq::server
