// The worker pool: tasks run on its threads only, all of them, and the queued ones still run
// when it is destroyed.
#include "server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace resq::server {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOnItsOwnThreads) {
  std::mutex mutex;
  std::set<std::thread::id> threads;
  std::atomic<int> done = 0;
  {
    WorkerPool pool(2);
    EXPECT_EQ(pool.size(), 2u);
    for (int i = 0; i < 100; ++i)
      pool.submit([&] {
        std::lock_guard lock(mutex);
        threads.insert(std::this_thread::get_id());
        ++done;
      });
  }  // the destructor drains the queue
  EXPECT_EQ(done.load(), 100);
  EXPECT_LE(threads.size(), 2u);
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
}

TEST(WorkerPoolTest, ThreadsAreNamed) {
  std::string name;
  {
    WorkerPool pool(1);
    pool.submit([&] { std::getline(std::ifstream("/proc/thread-self/comm"), name); });
  }
  EXPECT_EQ(name, "resq-worker");
}

}  // namespace
}  // namespace resq::server
