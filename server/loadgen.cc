// resq-loadgen: N camera-like streams at a fixed frame rate against a resq-server, measuring
// what each frame took from send to result and what was dropped: how many real-time streams a
// server sustains (issue #7: no drops and p99 under one frame interval). --find-max searches
// for that number.
#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "resq/v1/stream.grpc.pb.h"
#include "server/channel_credentials.h"
#include "server/command_line.h"
#include "server/load_trial.h"
#include "server/stream_count_search.h"

namespace {

using resq::server::LoadTrial;

// A count meets when most of its runs do; runs stop once the majority is decided.
struct CountResult {
  bool met = false;
  nlohmann::json runs = nlohmann::json::array();
  std::string failure;  // a failed call ends the search
};

CountResult try_count(resq::v1::StreamService::Stub& stub, const resq::server::LoadOptions& opt,
                      int streams, int repeats, const std::vector<resq::v1::Frame>& frames,
                      int& run_number) {
  CountResult c;
  int met = 0, missed = 0;
  while (2 * met <= repeats && 2 * missed < repeats) {
    const LoadTrial trial = resq::server::run_load_trial(
        stub, opt, streams, frames,
        "loadgen-" + std::to_string(getpid()) + "-run" + std::to_string(++run_number));
    std::cout << "[run " << run_number << "] " << describe(trial) << std::endl;
    c.runs.push_back(trial.summary);
    if (!trial.failure.empty()) {
      c.failure = trial.failure;
      return c;
    }
    ++(trial.meets ? met : missed);
  }
  c.met = 2 * met > repeats;
  return c;
}

bool write_json(const std::string& path, const nlohmann::json& j) {
  if (path == "-") {
    std::cout << j.dump(2) << "\n";
    return true;
  }
  if (std::ofstream(path) << j.dump(2) << "\n") return true;
  std::cerr << "resq-loadgen: --json " << path << ": cannot write\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "resq-loadgen: --streams camera-like streams at --fps against a resq-server; prints "
      "frames sent, answered and dropped, and send-to-result latency percentiles. With "
      "--find-max LIMIT it searches for the most streams, up to LIMIT, that meet the target "
      "(no drops, p99 under --max-p99-ms): stream counts double from --streams while they "
      "meet, then the gap to the first that missed is halved; each count runs up to --repeats "
      "times and meets when most of its runs do. Exit 0 when every stream ran (whether or not "
      "it met the target), 1 when a call failed, 2 for a bad command line."};
  resq::server::LoadOptions opt;
  std::string server = "127.0.0.1:50051", tls_ca, json;
  int streams = 4, find_max = 0, repeats = 3;
  if (const char* assets = std::getenv("RESQ_ASSET_DIR")) opt.video = std::string(assets) + "/vtest.avi";
  std::string scheme, bits;
  int keyframe_interval = 0;
  double tau = -1;
  app.add_option("--server", server, "resq-server address host:port")->capture_default_str();
  app.add_option("--video", opt.video, "clip whose frames are sent (looped)")->required(opt.video.empty());
  app.add_option("--streams", streams, "concurrent streams (--find-max: the first count tried)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  auto* find_max_option =
      app.add_option("--find-max", find_max, "search for the most streams up to this many that meet the target")
          ->check(CLI::Range(1, 256));
  app.add_option("--repeats", repeats, "--find-max: runs per stream count; it meets when most of them do")
      ->capture_default_str()
      ->check(CLI::Range(1, 99))
      ->needs(find_max_option);
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
  app.add_option("--tls-ca", tls_ca, "PEM root certificate: connect with TLS");
  app.add_option("--json", json, "write the results as JSON to this file ('-': stdout)");
  if (auto code = resq::server::parse_command_line(app, argc, argv)) return *code;
  if (find_max > 0 && find_max < streams) {
    std::cerr << "resq-loadgen: --find-max " << find_max << " is below --streams " << streams
              << ", the first count tried\n";
    return 2;
  }
  if (!scheme.empty()) opt.config.set_scheme(scheme);
  if (!bits.empty()) opt.config.set_bits(bits);
  if (keyframe_interval > 0) opt.config.set_keyframe_interval(keyframe_interval);
  if (tau >= 0) opt.config.set_tau(tau);

  std::vector<resq::v1::Frame> frames;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  try {
    frames = resq::server::encode_clip(opt);
    credentials = resq::server::channel_credentials(tls_ca);
  } catch (const std::runtime_error& e) {
    std::cerr << "resq-loadgen: " << e.what() << "\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(server, credentials);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::cerr << "resq-loadgen: " << server << ": cannot connect\n";
    return 1;
  }
  auto stub = resq::v1::StreamService::NewStub(channel);

  if (find_max == 0) {
    const LoadTrial trial = resq::server::run_load_trial(
        *stub, opt, streams, frames, "loadgen-" + std::to_string(getpid()));
    if (!trial.failure.empty()) std::cerr << "resq-loadgen: a stream failed: " << trial.failure << "\n";
    std::cout << describe(trial) << std::endl;
    nlohmann::json j = trial.summary;
    j["server"] = server;
    if (!json.empty() && !write_json(json, j)) return 1;
    return trial.failure.empty() ? 0 : 1;
  }

  resq::server::StreamCountSearch search(streams, find_max);
  nlohmann::json counts = nlohmann::json::array();
  int run_number = 0;
  std::string failure;
  while (auto n = search.next()) {
    const CountResult c = try_count(*stub, opt, *n, repeats, frames, run_number);
    counts.push_back({{"streams", *n}, {"met", c.met}, {"runs", c.runs}});
    if (!c.failure.empty()) {
      failure = c.failure;
      break;
    }
    search.record(*n, c.met);
    std::cout << *n << " streams: " << (c.met ? "met" : "missed") << " (" << c.runs.size()
              << (c.runs.size() == 1 ? " run)" : " runs)") << std::endl;
  }
  nlohmann::json j = {{"server", server},
                      {"find_max", {{"limit", find_max}, {"repeats", repeats}, {"counts", counts}}}};
  if (!failure.empty()) {
    std::cerr << "resq-loadgen: a stream failed: " << failure << "\n";
  } else {
    j["find_max"]["largest_met"] = search.largest_met();
    j["find_max"]["smallest_missed"] = search.smallest_missed();
    std::cout << "most streams meeting the target: " << search.largest_met();
    if (search.smallest_missed() > 0)
      std::cout << " (" << search.smallest_missed() << " missed)";
    else
      std::cout << " (the --find-max limit)";
    std::cout << std::endl;
  }
  if (!json.empty() && !write_json(json, j)) return 1;
  return failure.empty() ? 0 : 1;
}
