// The per-stream frame queue: bounded, drops the oldest frame, clears.
#include "server/frame_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace resq::server {
namespace {

TEST(FrameQueueTest, FullQueueDropsTheOldestFrame) {
  FrameQueue queue(4);
  int dropped = 0;
  for (uint64_t i = 0; i < 6; ++i) dropped += queue.push({i, {}}) ? 1 : 0;
  EXPECT_EQ(dropped, 2);
  for (uint64_t expected = 2; expected < 6; ++expected) EXPECT_EQ(queue.pop()->index, expected);
  EXPECT_FALSE(queue.pop().has_value());
  EXPECT_TRUE(queue.empty());
}

TEST(FrameQueueTest, PushMovesTheIdleClock) {
  FrameQueue queue(2);
  const auto made = queue.last_push();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto before_push = FrameQueue::Clock::now();
  queue.push({0, {}});
  EXPECT_GT(queue.last_push(), made);
  EXPECT_GE(queue.last_push(), before_push);
}

TEST(FrameQueueTest, ClearDiscardsQueuedFrames_n) {
  FrameQueue queue(4);
  queue.push({0, {}});
  queue.clear();
  EXPECT_FALSE(queue.pop().has_value());
}

}  // namespace
}  // namespace resq::server
