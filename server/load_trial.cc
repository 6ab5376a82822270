#include "server/load_trial.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "engine/cli/latency_stats.h"

namespace resq::server {
namespace {

using resq::cli::percentile;
using Clock = std::chrono::steady_clock;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

struct StreamResult {
  uint64_t sent = 0;
  uint64_t answered = 0;  // results measured (after the warm-up)
  uint64_t errors = 0;
  uint64_t dropped = 0;   // by the server after the warm-up
  std::vector<double> e2e_ms;         // send to result
  std::vector<double> engine_ms;      // FrameStats.latency_ms
  std::vector<double> engine_cpu_ms;  // FrameStats.cpu_ms
  std::string failure;                // the call's error, if it failed
};

// One stream: frames at opt.fps for opt.seconds (plus the warm-up), results read concurrently.
StreamResult run_stream(v1::StreamService::Stub& stub, const LoadOptions& opt, int index,
                        int streams, const std::vector<v1::Frame>& frames,
                        const std::string& stream_id) {
  StreamResult r;
  grpc::ClientContext context;
  auto call = stub.Process(&context);
  v1::ProcessRequest open;
  open.mutable_open()->set_stream_id(stream_id);
  *open.mutable_open()->mutable_config() = opt.config;
  if (!call->Write(open)) {
    r.failure = call->Finish().error_message();
    return r;
  }
  const int64_t measure_from = now_us() + static_cast<int64_t>(opt.warmup * 1e6);
  std::thread reader([&] {
    uint64_t dropped_in_warmup = 0;
    v1::ProcessResponse response;
    while (call->Read(&response)) {
      const int64_t arrived = now_us();
      if (response.has_error()) {
        ++r.errors;
        continue;
      }
      const auto& result = response.result();
      if (result.timestamp_us() < measure_from) {
        dropped_in_warmup = result.dropped_frames();
        continue;
      }
      r.dropped = result.dropped_frames() - dropped_in_warmup;
      ++r.answered;
      r.e2e_ms.push_back(static_cast<double>(arrived - result.timestamp_us()) / 1000.0);
      r.engine_ms.push_back(result.stats().latency_ms());
      r.engine_cpu_ms.push_back(result.stats().cpu_ms());
    }
  });
  const auto interval = std::chrono::duration<double>(1.0 / opt.fps);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(opt.warmup + opt.seconds);
  // Streams start spread over one interval, as independent cameras would.
  auto next = start + interval * (static_cast<double>(index) / streams);
  for (size_t i = 0; Clock::now() < end; ++i) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<Clock::duration>(interval);
    v1::ProcessRequest frame;
    *frame.mutable_frame() = frames[i % frames.size()];
    frame.mutable_frame()->set_timestamp_us(now_us());
    if (!call->Write(frame)) break;
    ++r.sent;
  }
  call->WritesDone();
  reader.join();
  const grpc::Status status = call->Finish();
  if (!status.ok()) r.failure = status.error_message();
  return r;
}

}  // namespace

std::vector<v1::Frame> encode_clip(const LoadOptions& opt) {
  cv::VideoCapture cap(opt.video);
  if (!cap.isOpened()) throw std::runtime_error("--video " + opt.video + ": cannot open");
  std::vector<v1::Frame> frames;
  cv::Mat frame;
  while (cap.read(frame) && frames.size() < 300) {
    cv::Mat sized;
    cv::resize(frame, sized, cv::Size(opt.width, opt.height));
    v1::Frame& f = frames.emplace_back();
    if (opt.encoding == "raw") {
      cv::Mat rgb;
      cv::cvtColor(sized, rgb, cv::COLOR_BGR2RGB);
      f.set_raw_rgb8(rgb.data, rgb.total() * rgb.elemSize());
      f.set_width(opt.width);
      f.set_height(opt.height);
      continue;
    }
    std::vector<uchar> bytes;
    cv::imencode(opt.encoding == "png" ? ".png" : ".jpg", sized, bytes);
    if (opt.encoding == "png")
      f.set_png(bytes.data(), bytes.size());
    else
      f.set_jpeg(bytes.data(), bytes.size());
  }
  if (frames.empty()) throw std::runtime_error("--video " + opt.video + ": no frames");
  return frames;
}

LoadTrial run_load_trial(v1::StreamService::Stub& stub, const LoadOptions& opt, int streams,
                         const std::vector<v1::Frame>& frames, const std::string& id_prefix) {
  std::vector<StreamResult> results(static_cast<size_t>(streams));
  std::vector<std::thread> threads;
  for (int i = 0; i < streams; ++i)
    threads.emplace_back([&, i] {
      results[static_cast<size_t>(i)] =
          run_stream(stub, opt, i, streams, frames, id_prefix + "-" + std::to_string(i));
    });
  for (std::thread& t : threads) t.join();

  StreamResult all;
  LoadTrial trial;
  for (const StreamResult& r : results) {
    all.sent += r.sent;
    all.answered += r.answered;
    all.errors += r.errors;
    all.dropped += r.dropped;
    all.e2e_ms.insert(all.e2e_ms.end(), r.e2e_ms.begin(), r.e2e_ms.end());
    all.engine_ms.insert(all.engine_ms.end(), r.engine_ms.begin(), r.engine_ms.end());
    all.engine_cpu_ms.insert(all.engine_cpu_ms.end(), r.engine_cpu_ms.begin(),
                             r.engine_cpu_ms.end());
    if (trial.failure.empty()) trial.failure = r.failure;
  }
  const double target = opt.max_p99_ms > 0 ? opt.max_p99_ms : 1000.0 / opt.fps;
  const double p99 = percentile(all.e2e_ms, 99);
  trial.meets = trial.failure.empty() && all.dropped == 0 && all.errors == 0 &&
                all.answered > 0 && p99 < target;
  trial.summary = {
      {"streams", streams},           {"fps_per_stream", opt.fps},
      {"seconds", opt.seconds},
      {"frame_size", std::to_string(opt.width) + "x" + std::to_string(opt.height)},
      {"encoding", opt.encoding},
      {"sent", all.sent},             {"answered_measured", all.answered},
      {"dropped", all.dropped},       {"errors", all.errors},
      {"answered_fps", static_cast<double>(all.answered) / opt.seconds},
      {"e2e_ms", {{"p50", percentile(all.e2e_ms, 50)}, {"p95", percentile(all.e2e_ms, 95)},
                  {"p99", p99}, {"max", percentile(all.e2e_ms, 100)}}},
      {"engine_ms", {{"p50", percentile(all.engine_ms, 50)}, {"p99", percentile(all.engine_ms, 99)}}},
      {"engine_cpu_ms",
       {{"p50", percentile(all.engine_cpu_ms, 50)}, {"p99", percentile(all.engine_cpu_ms, 99)}}},
      {"target_p99_ms", target},
      {"meets_target", trial.meets}};
  return trial;
}

std::string describe(const LoadTrial& trial) {
  const nlohmann::json& j = trial.summary;
  char line[512];
  std::snprintf(line, sizeof line,
                "%d streams x %.0f fps, %s %s: sent %llu, dropped %llu, errors %llu, %.1f "
                "results/s; send-to-result ms p50 %.1f p95 %.1f p99 %.1f; engine ms p50 %.1f "
                "(CPU %.1f) -> %s",
                j["streams"].get<int>(), j["fps_per_stream"].get<double>(),
                j["frame_size"].get<std::string>().c_str(),
                j["encoding"].get<std::string>().c_str(), j["sent"].get<unsigned long long>(),
                j["dropped"].get<unsigned long long>(), j["errors"].get<unsigned long long>(),
                j["answered_fps"].get<double>(), j["e2e_ms"]["p50"].get<double>(),
                j["e2e_ms"]["p95"].get<double>(), j["e2e_ms"]["p99"].get<double>(),
                j["engine_ms"]["p50"].get<double>(), j["engine_cpu_ms"]["p50"].get<double>(),
                trial.meets ? "meets the target (no drops, p99 under target)"
                            : "misses the target");
  return line;
}

}  // namespace resq::server
