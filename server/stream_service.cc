#include "server/stream_service.h"

#include <exception>
#include <mutex>
#include <string>

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

// Lifetime: every path that ends the call goes through step() on a pool worker, the only place
// that calls Finish (besides a failed open); while a step is pending or a write is in flight
// (`busy_`) the call cannot finish, so OnDone (which deletes the reactor) never races a worker.
class ProcessReactor final
    : public grpc::ServerBidiReactor<v1::ProcessRequest, v1::ProcessResponse>,
      public IdleWatch::Watched {
 public:
  ProcessReactor(StreamRegistry& registry, StreamLimits limits, WorkerPool& pool,
                 IdleWatch& idle_watch, std::atomic<uint64_t>& opened)
      : registry_(registry),
        limits_(limits),
        pool_(pool),
        idle_watch_(idle_watch),
        opened_(opened),
        queue_(limits.queue_depth) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call ended): answer what is queued
      bool opened;
      {
        std::lock_guard lock(mutex_);
        reads_done_ = true;
        opened = entry_ != nullptr;
      }
      if (opened) {
        kick();
      } else {
        Finish(grpc::Status::OK);
      }
      return;
    }
    if (!entry_) {
      open();
      return;
    }
    if (request_.kind_case() != v1::ProcessRequest::kFrame) {
      end({grpc::StatusCode::FAILED_PRECONDITION, "open: the stream is already open"});
      return;
    }
    entry_->count_received();
    if (queue_.push({next_index_++, std::move(*request_.mutable_frame())}))
      entry_->count_dropped();
    kick();
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) end({grpc::StatusCode::CANCELLED, "the client is gone"});
    pool_.submit([this] { step(); });  // still busy_: the next frame, or the end
  }

  void OnCancel() override { end({grpc::StatusCode::CANCELLED, "cancelled"}); }

  void check_idle(IdleWatch::Clock::time_point now, std::chrono::milliseconds timeout) override {
    {
      std::lock_guard lock(mutex_);
      if (busy_ || ending_ || now - queue_.last_push() < timeout) return;
    }
    end({grpc::StatusCode::DEADLINE_EXCEEDED,
         "no frame for " + std::to_string(timeout.count()) +
             " ms (the server's --idle-timeout): stream closed"});
  }

  void OnDone() override {
    idle_watch_.remove(this);
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
      // New streams' first periods are cut by 0, 1, ..., T-1 frames in turn: streams that open
      // together (cameras reconnecting after a restart) then do not all run a keyframe on the
      // same frames, which would queue behind each other while the frames between wait idle.
      const auto period = static_cast<uint64_t>(config.period);
      stream_->shorten_next_period(static_cast<int64_t>(opened_++ % period));
      return target;
    };
    grpc::Status status =
        registry_.open(open.stream_id(), "grpc", open.config(), make_target, &entry);
    if (!status.ok()) {
      Finish(status);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      entry_ = std::move(entry);
    }
    idle_watch_.add(this);
    StartRead(&request_);
  }

  // The call ends with `status` (the first reason wins) once the frame running now is written.
  void end(grpc::Status status) {
    {
      std::lock_guard lock(mutex_);
      if (!entry_) return;  // not open: gRPC ends the pending read, OnReadDone finishes
      if (!ending_) {
        ending_ = true;
        end_status_ = std::move(status);
      }
    }
    queue_.clear();
    kick();
  }

  // Gets a step running unless one is pending or running, or a write is in flight.
  void kick() {
    {
      std::lock_guard lock(mutex_);
      if (busy_ || finished_) return;
      busy_ = true;
    }
    pool_.submit([this] { step(); });
  }

  // On a pool worker, busy_: runs one frame and starts its write, or goes idle, or finishes.
  void step() {
    std::optional<QueuedFrame> frame = queue_.pop();
    if (frame) {
      response_ = process(*frame);
      StartWrite(&response_);  // OnWriteDone submits the next step
      return;
    }
    grpc::Status status;
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) {  // a frame arrived after the pop: kick() saw busy_ and left it
        pool_.submit([this] { step(); });
        return;
      }
      busy_ = false;
      if (finished_ || !(ending_ || reads_done_)) return;
      finished_ = true;
      status = ending_ ? end_status_ : grpc::Status::OK;
    }
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
      // Decoded only if the stream runs it (a frame that skipping repeats is not).
      stream_->process(frame_decoder(queued.frame));
      const ResQStream& stream = *stream_;
      v1::FrameResult* result = response.mutable_result();
      result->set_frame_index(queued.index);
      result->set_timestamp_us(queued.frame.timestamp_us());
      // A frame that skipping repeats has the last frame's mask: its PNG is not made again.
      if (!stream.cost().repeated || last_mask_png_.empty())
        last_mask_png_ = mask_png(stream.mask());
      result->set_mask_png(last_mask_png_);
      to_proto(stream.cost(), result->mutable_stats());
      entry_->count_processed(stream.cost());
      result->set_dropped_frames(entry_->totals().dropped);
    } catch (const std::exception& e) {  // bad image bytes or an engine failure
      last_mask_png_.clear();
      entry_->count_error();
      v1::FrameError* error = response.mutable_error();
      error->set_frame_index(queued.index);
      error->set_timestamp_us(queued.frame.timestamp_us());
      error->set_message(e.what());
    }
    return response;
  }

  StreamRegistry& registry_;
  const StreamLimits limits_;
  WorkerPool& pool_;
  IdleWatch& idle_watch_;
  std::atomic<uint64_t>& opened_;  // the service's count of opened streams
  FrameQueue queue_;
  v1::ProcessRequest request_;  // gRPC threads only
  uint64_t next_index_ = 0;     // gRPC threads only
  ResQStream* stream_ = nullptr;  // entry_'s, run by one step at a time
  v1::ProcessResponse response_;  // the write in flight
  std::string last_mask_png_;     // the last result's mask, run by one step at a time

  std::mutex mutex_;  // guards the fields below (entry_ only while it is set)
  std::shared_ptr<StreamEntry> entry_;
  bool busy_ = false;  // a step is pending or running, or a write is in flight
  bool reads_done_ = false;
  bool ending_ = false;
  bool finished_ = false;
  grpc::Status end_status_;
};

}  // namespace

grpc::ServerBidiReactor<v1::ProcessRequest, v1::ProcessResponse>* StreamServiceImpl::Process(
    grpc::CallbackServerContext* /*context*/) {
  return new ProcessReactor(registry_, limits_, pool_, idle_watch_, opened_);
}

}  // namespace resq::server
