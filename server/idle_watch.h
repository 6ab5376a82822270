// Ends Process calls whose client has sent nothing for the idle timeout (clients that vanished
// without closing): one thread looks at every open call a few times per timeout.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace resq::server {

class IdleWatch {
 public:
  using Clock = std::chrono::steady_clock;

  class Watched {
   public:
    // Runs on the watch thread; must not call IdleWatch::remove.
    virtual void check_idle(Clock::time_point now, std::chrono::milliseconds timeout) = 0;

   protected:
    ~Watched() = default;
  };

  // A zero timeout watches nothing and runs no thread.
  explicit IdleWatch(std::chrono::milliseconds timeout) : timeout_(timeout) {
    if (timeout_.count() > 0) thread_ = std::thread([this] { run(); });
  }
  ~IdleWatch() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void add(Watched* watched) {
    std::lock_guard lock(mutex_);
    watched_.insert(watched);
  }
  // Once it returns, check_idle is not running on `watched` and will not again.
  void remove(Watched* watched) {
    std::lock_guard lock(mutex_);
    watched_.erase(watched);
  }

 private:
  void run() {
    const auto period = std::clamp(timeout_ / 4, std::chrono::milliseconds(10),
                                   std::chrono::milliseconds(1000));
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [&] { return stopping_; })) {
      const auto now = Clock::now();
      for (Watched* watched : watched_) watched->check_idle(now, timeout_);
    }
  }

  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;  // guards watched_ and stopping_; held while checking
  std::condition_variable wake_;
  std::set<Watched*> watched_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace resq::server
