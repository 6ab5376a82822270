#include "server/stream_service.h"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "server/frame_decoder.h"
#include "server/frame_queue.h"
#include "server/proto_convert.h"

namespace resq::server {
namespace {

size_t image_bytes(const v1::Frame& frame) {
  switch (frame.image_case()) {
    case v1::Frame::kJpeg:
      return frame.jpeg().size();
    case v1::Frame::kPng:
      return frame.png().size();
    case v1::Frame::kRawRgb8:
      return frame.raw_rgb8().size();
    case v1::Frame::IMAGE_NOT_SET:
      break;
  }
  return 0;
}

// Lifetime: gRPC calls OnDone once Finish was called and every operation completed; OnDone
// joins the worker (which closed the stream) and deletes the reactor.
class ProcessReactor final
    : public grpc::ServerBidiReactor<v1::ProcessRequest, v1::ProcessResponse> {
 public:
  ProcessReactor(StreamRegistry& registry, StreamLimits limits)
      : registry_(registry), limits_(limits), queue_(limits.queue_depth) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call ended): answer what is queued
      queue_.close();
      if (!entry_) Finish(grpc::Status::OK);
      return;
    }
    if (!entry_) {
      open();
      return;
    }
    if (request_.kind_case() != v1::ProcessRequest::kFrame) {
      fail({grpc::StatusCode::FAILED_PRECONDITION, "open: the stream is already open"});
      return;
    }
    entry_->count_received();
    if (queue_.push({next_index_++, std::move(*request_.mutable_frame())}))
      entry_->count_dropped();
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    write_in_flight_ = false;
    write_failed_ = !ok;
    written_.notify_all();
  }

  void OnCancel() override { queue_.cancel(); }

  void OnDone() override {
    // The worker closed the stream and called Finish as its last acts: it is ending here.
    if (worker_.joinable()) worker_.join();
    delete this;
  }

 private:
  void open() {
    if (request_.kind_case() != v1::ProcessRequest::kOpen) {
      Finish({grpc::StatusCode::FAILED_PRECONDITION, "the first message must be open"});
      return;
    }
    const v1::OpenStream& open = request_.open();
    std::shared_ptr<StreamEntry> entry;
    const auto make_target = [this](const StreamSettings&, const StreamConfig& config) {
      auto target = std::make_unique<EngineTarget>(registry_.model(), config);
      stream_ = &target->stream();
      return target;
    };
    grpc::Status status =
        registry_.open(open.stream_id(), "grpc", open.config(), make_target, &entry);
    if (!status.ok()) {
      Finish(status);
      return;
    }
    entry_ = std::move(entry);
    worker_ = std::thread([this] { run(); });
    StartRead(&request_);
  }

  // A protocol error after the worker started: the worker finishes the call (Finish must not
  // race its writes).
  void fail(grpc::Status status) {
    {
      std::lock_guard lock(mutex_);
      finish_status_ = std::move(status);
    }
    queue_.cancel();
  }

  void run() {
    const auto idle = limits_.idle_timeout.count() > 0
                          ? FrameQueue::Clock::duration(limits_.idle_timeout)
                          : FrameQueue::Clock::duration::max();
    while (std::optional<QueuedFrame> frame = queue_.pop(idle)) {
      if (!write(process(*frame))) break;
    }
    grpc::Status status;
    {
      std::lock_guard lock(mutex_);
      status = finish_status_;
    }
    if (queue_.idle_expired())
      status = {grpc::StatusCode::DEADLINE_EXCEEDED,
                "no frame for " + std::to_string(limits_.idle_timeout.count()) +
                    " ms (the server's --idle-timeout): stream closed"};
    // Before Finish: once the client has its status, the stream is gone from ListStreams.
    registry_.close(*entry_);
    Finish(status);
  }

  v1::ProcessResponse process(const QueuedFrame& queued) {
    v1::ProcessResponse response;
    try {
      const size_t bytes = image_bytes(queued.frame);
      if (bytes > limits_.max_frame_bytes)
        throw std::invalid_argument("frame: " + std::to_string(bytes) + " image bytes exceed " +
                                    "the limit of " + std::to_string(limits_.max_frame_bytes));
      stream_->process(decode_frame(queued.frame));
      const ResQStream& stream = *stream_;
      v1::FrameResult* result = response.mutable_result();
      result->set_frame_index(queued.index);
      result->set_timestamp_us(queued.frame.timestamp_us());
      result->set_mask_png(mask_png(stream.mask()));
      to_proto(stream.cost(), result->mutable_stats());
      entry_->count_processed(stream.cost());
      result->set_dropped_frames(entry_->totals().dropped);
    } catch (const std::exception& e) {  // bad image bytes or an engine failure
      entry_->count_error();
      v1::FrameError* error = response.mutable_error();
      error->set_frame_index(queued.index);
      error->set_timestamp_us(queued.frame.timestamp_us());
      error->set_message(e.what());
    }
    return response;
  }

  // Returns false when the write failed (the call is over).
  bool write(v1::ProcessResponse response) {
    {
      std::lock_guard lock(mutex_);
      if (write_failed_) return false;
      response_ = std::move(response);
      write_in_flight_ = true;
    }
    StartWrite(&response_);  // unlocked: OnWriteDone takes the lock
    std::unique_lock lock(mutex_);
    written_.wait(lock, [&] { return !write_in_flight_; });
    return !write_failed_;
  }

  StreamRegistry& registry_;
  const StreamLimits limits_;
  FrameQueue queue_;
  v1::ProcessRequest request_;        // gRPC threads only
  uint64_t next_index_ = 0;           // gRPC threads only
  std::shared_ptr<StreamEntry> entry_;  // set before the worker starts
  ResQStream* stream_ = nullptr;        // entry_'s, run by the worker
  std::thread worker_;

  v1::ProcessResponse response_;      // the write in flight: the worker's, then gRPC's
  std::mutex mutex_;  // guards the fields below
  std::condition_variable written_;
  bool write_in_flight_ = false;
  bool write_failed_ = false;
  grpc::Status finish_status_ = grpc::Status::OK;
};

}  // namespace

grpc::ServerBidiReactor<v1::ProcessRequest, v1::ProcessResponse>* StreamServiceImpl::Process(
    grpc::CallbackServerContext* /*context*/) {
  return new ProcessReactor(registry_, limits_);
}

}  // namespace resq::server
