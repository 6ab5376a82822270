// resq-loadgen: N camera-like streams at a fixed frame rate against a resq-server, measuring
// what each frame took from send to result and what was dropped: how many real-time streams a
// server sustains (issue #7: no drops and p99 under one frame interval).
#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "engine/cli/latency_stats.h"
#include "resq/v1/stream.grpc.pb.h"
#include "server/channel_credentials.h"
#include "server/command_line.h"

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
  std::vector<double> e2e_ms;     // send to result
  std::vector<double> engine_ms;      // FrameStats.latency_ms
  std::vector<double> engine_cpu_ms;  // FrameStats.cpu_ms
  std::string failure;            // the call's error, if it failed
};

struct Options {
  std::string server = "127.0.0.1:50051";
  std::string video;
  std::string tls_ca;
  int streams = 4;
  double fps = 30;
  double seconds = 10;
  double warmup = 2;
  int width = 256;
  int height = 256;
  std::string encoding = "jpeg";  // how frames are sent: jpeg, png or raw (raw_rgb8)
  resq::v1::StreamConfig config;
  std::string json;
  double max_p99_ms = 0;  // 0: one frame interval
};

// The clip's first 300 frames, resized and encoded as opt.encoding says, ready to send.
std::vector<resq::v1::Frame> encode_clip(const Options& opt) {
  cv::VideoCapture cap(opt.video);
  if (!cap.isOpened()) throw std::runtime_error("--video " + opt.video + ": cannot open");
  std::vector<resq::v1::Frame> frames;
  cv::Mat frame;
  while (cap.read(frame) && frames.size() < 300) {
    cv::Mat sized;
    cv::resize(frame, sized, cv::Size(opt.width, opt.height));
    resq::v1::Frame& f = frames.emplace_back();
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

// One stream: frames at opt.fps for opt.seconds (plus the warm-up), results read concurrently.
StreamResult run_stream(resq::v1::StreamService::Stub& stub, const Options& opt, int index,
                        const std::vector<resq::v1::Frame>& frames) {
  StreamResult r;
  grpc::ClientContext context;
  auto call = stub.Process(&context);
  resq::v1::ProcessRequest open;
  open.mutable_open()->set_stream_id("loadgen-" + std::to_string(getpid()) + "-" +
                                     std::to_string(index));
  *open.mutable_open()->mutable_config() = opt.config;
  if (!call->Write(open)) {
    r.failure = call->Finish().error_message();
    return r;
  }
  const int64_t measure_from = now_us() + static_cast<int64_t>(opt.warmup * 1e6);
  std::thread reader([&] {
    uint64_t dropped_in_warmup = 0;
    resq::v1::ProcessResponse response;
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
  auto next = start + interval * (static_cast<double>(index) / opt.streams);
  for (size_t i = 0; Clock::now() < end; ++i) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<Clock::duration>(interval);
    resq::v1::ProcessRequest frame;
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

int main(int argc, char** argv) {
  CLI::App app{
      "resq-loadgen: --streams camera-like streams at --fps against a resq-server; prints "
      "frames sent, answered and dropped, and send-to-result latency percentiles. Exit 0 when "
      "every stream ran (whether or not it met the target), 1 when a call failed, 2 for a bad "
      "command line."};
  Options opt;
  if (const char* assets = std::getenv("RESQ_ASSET_DIR")) opt.video = std::string(assets) + "/vtest.avi";
  std::string scheme, bits;
  int keyframe_interval = 0;
  double tau = -1;
  app.add_option("--server", opt.server, "resq-server address host:port")->capture_default_str();
  app.add_option("--video", opt.video, "clip whose frames are sent (looped)")->required(opt.video.empty());
  app.add_option("--streams", opt.streams, "concurrent streams")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--fps", opt.fps, "frames per second per stream")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--seconds", opt.seconds, "measured duration")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--warmup", opt.warmup, "seconds before measuring")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--width", opt.width, "frame width sent")->capture_default_str()->check(CLI::Range(16, 4096));
  app.add_option("--height", opt.height, "frame height sent")->capture_default_str()->check(CLI::Range(16, 4096));
  app.add_option("--encoding", opt.encoding, "how frames are sent: jpeg, png or raw (raw_rgb8)")
      ->capture_default_str()
      ->check(CLI::IsMember({"jpeg", "png", "raw"}));
  app.add_option("--scheme", scheme, "stream config: fp32, frame, skip, resq, dynamic");
  app.add_option("--bits", bits, "stream config: e.g. W8A8->W8A{0,4,8}");
  app.add_option("--keyframe-interval", keyframe_interval, "stream config: T")->check(CLI::PositiveNumber);
  app.add_option("--tau", tau, "stream config: Dynamic-ResQ tau")->check(CLI::NonNegativeNumber);
  app.add_option("--max-p99-ms", opt.max_p99_ms, "target p99 send-to-result latency; default one frame interval");
  app.add_option("--tls-ca", opt.tls_ca, "PEM root certificate: connect with TLS");
  app.add_option("--json", opt.json, "write the results as JSON to this file ('-': stdout)");
  if (auto code = resq::server::parse_command_line(app, argc, argv)) return *code;
  if (!scheme.empty()) opt.config.set_scheme(scheme);
  if (!bits.empty()) opt.config.set_bits(bits);
  if (keyframe_interval > 0) opt.config.set_keyframe_interval(keyframe_interval);
  if (tau >= 0) opt.config.set_tau(tau);
  if (opt.max_p99_ms <= 0) opt.max_p99_ms = 1000.0 / opt.fps;

  std::vector<resq::v1::Frame> frames;
  try {
    frames = encode_clip(opt);
  } catch (const std::exception& e) {
    std::cerr << "resq-loadgen: " << e.what() << "\n";
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  try {
    credentials = resq::server::channel_credentials(opt.tls_ca);
  } catch (const std::runtime_error& e) {
    std::cerr << "resq-loadgen: " << e.what() << "\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(opt.server, credentials);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::cerr << "resq-loadgen: " << opt.server << ": cannot connect\n";
    return 1;
  }
  auto stub = resq::v1::StreamService::NewStub(channel);

  std::vector<StreamResult> results(static_cast<size_t>(opt.streams));
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.streams; ++i)
    threads.emplace_back(
        [&, i] { results[static_cast<size_t>(i)] = run_stream(*stub, opt, i, frames); });
  for (std::thread& t : threads) t.join();

  StreamResult all;
  bool failed = false;
  for (const StreamResult& r : results) {
    all.sent += r.sent;
    all.answered += r.answered;
    all.errors += r.errors;
    all.dropped += r.dropped;
    all.e2e_ms.insert(all.e2e_ms.end(), r.e2e_ms.begin(), r.e2e_ms.end());
    all.engine_ms.insert(all.engine_ms.end(), r.engine_ms.begin(), r.engine_ms.end());
    all.engine_cpu_ms.insert(all.engine_cpu_ms.end(), r.engine_cpu_ms.begin(),
                             r.engine_cpu_ms.end());
    if (!r.failure.empty()) {
      std::cerr << "resq-loadgen: a stream failed: " << r.failure << "\n";
      failed = true;
    }
  }
  const double p99 = percentile(all.e2e_ms, 99);
  const bool meets = !failed && all.dropped == 0 && all.errors == 0 && all.answered > 0 &&
                     p99 < opt.max_p99_ms;
  nlohmann::json j = {
      {"server", opt.server},         {"streams", opt.streams},
      {"fps_per_stream", opt.fps},    {"seconds", opt.seconds},
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
      {"target_p99_ms", opt.max_p99_ms},
      {"meets_target", meets}};
  std::printf("%d streams x %.0f fps, %s %s: sent %llu, dropped %llu, errors %llu, %.1f results/s; "
              "send-to-result ms p50 %.1f p95 %.1f p99 %.1f; engine ms p50 %.1f (CPU %.1f) -> %s\n",
              opt.streams, opt.fps, j["frame_size"].get<std::string>().c_str(),
              opt.encoding.c_str(),
              static_cast<unsigned long long>(all.sent), static_cast<unsigned long long>(all.dropped),
              static_cast<unsigned long long>(all.errors), j["answered_fps"].get<double>(),
              percentile(all.e2e_ms, 50), percentile(all.e2e_ms, 95), p99,
              percentile(all.engine_ms, 50), percentile(all.engine_cpu_ms, 50),
              meets ? "meets the target (no drops, p99 under target)" : "misses the target");
  if (!opt.json.empty()) {
    if (opt.json == "-") {
      std::cout << j.dump(2) << "\n";
    } else if (!(std::ofstream(opt.json) << j.dump(2) << "\n")) {
      std::cerr << "resq-loadgen: --json " << opt.json << ": cannot write\n";
      return 1;
    }
  }
  return failed ? 1 : 0;
}
