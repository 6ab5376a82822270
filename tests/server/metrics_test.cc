// resq-server's /metrics in process: scraped over HTTP, checked by `promtool check metrics`,
// counting the frames a stream ran, and without the stream's series once it ended.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <utility>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "engine/stream/model_cache.h"
#include "server/pipeline_stream.h"
#include "server/server.h"
#include "tests/server/clip_jpegs.h"

namespace resq::server {
namespace {

const std::string kAssets = RESQ_ASSET_DIR;

// GET http://127.0.0.1:`port`/metrics; the body, empty on any failure.
std::string scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, n);
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// `promtool check metrics` on `exposition`: its exit status, 0 when it passes.
int promtool_check(const std::string& exposition) {
  const std::string path = testing::TempDir() + "resq_metrics.txt";
  std::ofstream(path) << exposition;
  return std::system((std::string(RESQ_PROMTOOL) + " check metrics < " + path).c_str());
}

// The value of the sample line starting with `series` (name and labels); -1 when absent.
double sample(const std::string& exposition, const std::string& series) {
  const size_t at = exposition.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

// User and system CPU time of this process so far (getrusage).
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

using ProcessCall = grpc::ClientReaderWriter<v1::ProcessRequest, v1::ProcessResponse>;

// Opens stream `id` with `config` on `call` and runs the clip's first `frames` frames through
// it, each answered with a result.
void open_and_run(ProcessCall& call, const std::string& id, const v1::StreamConfig& config,
                  int frames) {
  v1::ProcessRequest open;
  open.mutable_open()->set_stream_id(id);
  *open.mutable_open()->mutable_config() = config;
  ASSERT_TRUE(call.Write(open));
  for (const std::string& jpeg : clip_jpegs(frames)) {
    v1::ProcessRequest frame;
    frame.mutable_frame()->set_jpeg(jpeg);
    ASSERT_TRUE(call.Write(frame));
    v1::ProcessResponse response;
    ASSERT_TRUE(call.Read(&response));
    ASSERT_TRUE(response.has_result()) << response.error().message();
  }
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest()
      : server_(acquire_model(kAssets + "/selfie_segmentation.tflite", RESQ_SERVER_CALIBRATION),
                StreamSettings{}, options()),
        streams_(v1::StreamService::NewStub(grpc::CreateChannel(
            "127.0.0.1:" + std::to_string(server_.port()), grpc::InsecureChannelCredentials()))) {}

  static ServerOptions options() {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.metrics_listen = "127.0.0.1:0";
    return o;
  }

  ResQServer server_;
  std::unique_ptr<v1::StreamService::Stub> streams_;
};

TEST_F(MetricsTest, CountsFramesPassesPromtoolAndForgetsEndedStreams) {
  ASSERT_NE(server_.metrics_port(), 0);
  grpc::ClientContext context;
  auto call = streams_->Process(&context);
  ASSERT_NO_FATAL_FAILURE(open_and_run(*call, "cam-1", {}, 6));

  const double cpu_before = process_cpu_seconds();
  const std::string open_metrics = scrape(server_.metrics_port());
  const double cpu_after = process_cpu_seconds();
  EXPECT_EQ(promtool_check(open_metrics), 0) << open_metrics;
  EXPECT_EQ(sample(open_metrics, "resq_frames_total{stream=\"cam-1\"}"), 6.0) << open_metrics;
  EXPECT_GE(sample(open_metrics, "resq_keyframes_total{stream=\"cam-1\"}"), 1.0);
  EXPECT_EQ(sample(open_metrics, "resq_repeated_frames_total{stream=\"cam-1\"}"), 0.0);
  EXPECT_GT(sample(open_metrics, "resq_keyframe_cache_bytes{stream=\"cam-1\"}"), 0.0);
  // The layers' outputs live in the workers' shared buffers (no change tracking here).
  EXPECT_EQ(sample(open_metrics, "resq_activation_buffer_bytes{stream=\"cam-1\"}"), 0.0);
  EXPECT_GT(sample(open_metrics, "resq_shared_buffer_bytes"), 0.0);
  EXPECT_GT(sample(open_metrics, "resq_scratch_bytes{stream=\"cam-1\"}"), 0.0);
  EXPECT_EQ(sample(open_metrics, "resq_frame_latency_seconds_count{stream=\"cam-1\"}"), 6.0);
  EXPECT_GT(sample(open_metrics, "resq_engine_cpu_seconds_total{stream=\"cam-1\"}"), 0.0);
  EXPECT_EQ(sample(open_metrics, "resq_streams_active"), 1.0);
  // The standard process metrics (the server runs in this process): its CPU time as getrusage
  // gives it (user and system time each truncated to 10 ms clock ticks), above the engine's;
  // the resident memory at most the peak.
  const double cpu = sample(open_metrics, "process_cpu_seconds_total");
  EXPECT_GE(cpu, cpu_before - 0.025);
  EXPECT_LE(cpu, cpu_after + 0.025);
  EXPECT_GE(cpu, sample(open_metrics, "resq_engine_cpu_seconds_total{stream=\"cam-1\"}"));
  rusage usage{};
  ASSERT_EQ(getrusage(RUSAGE_SELF, &usage), 0);
  EXPECT_GT(sample(open_metrics, "process_resident_memory_bytes"), 1e7);  // the model and a stream
  EXPECT_LE(sample(open_metrics, "process_resident_memory_bytes"),
            static_cast<double>(usage.ru_maxrss) * 1024);
  EXPECT_GE(sample(open_metrics, "process_virtual_memory_bytes"),
            sample(open_metrics, "process_resident_memory_bytes"));
  EXPECT_GT(sample(open_metrics, "process_open_fds"), 2.0);
  EXPECT_GE(sample(open_metrics, "process_max_fds"), sample(open_metrics, "process_open_fds"));
  const double started = sample(open_metrics, "process_start_time_seconds");
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(started, now + 60);  // btime is fixed at boot: a clock stepped since moves it
  EXPECT_GT(started, now - 3600);  // this test's process started within the hour

  call->WritesDone();
  ASSERT_TRUE(call->Finish().ok());
  const std::string ended_metrics = scrape(server_.metrics_port());
  EXPECT_EQ(promtool_check(ended_metrics), 0) << ended_metrics;
  EXPECT_EQ(ended_metrics.find("cam-1"), std::string::npos) << ended_metrics;
  EXPECT_EQ(sample(ended_metrics, "resq_streams_active"), 0.0);
}

TEST_F(MetricsTest, CountsDropsConfigUpdatesAndPipelineStreams) {
  const auto jpegs = clip_jpegs(16);
  grpc::ClientContext context;
  auto call = streams_->Process(&context);
  v1::ProcessRequest open;
  open.mutable_open()->set_stream_id("burst");
  ASSERT_TRUE(call->Write(open));
  for (const std::string& jpeg : jpegs) {  // far faster than they run: the queue overflows
    v1::ProcessRequest frame;
    frame.mutable_frame()->set_jpeg(jpeg);
    ASSERT_TRUE(call->Write(frame));
  }
  v1::ProcessResponse response;
  do {
    ASSERT_TRUE(call->Read(&response));
    ASSERT_TRUE(response.has_result()) << response.error().message();
  } while (response.result().frame_index() + 1 < jpegs.size());
  const double dropped = static_cast<double>(response.result().dropped_frames());
  EXPECT_GT(dropped, 0.0);

  auto control = v1::ControlService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_.port()), grpc::InsecureChannelCredentials()));
  const std::pair<const char*, const char*> updates[] = {
      {"resq", "W8A8->W4A4"}, {"resq", "W8A8->W3Q"}, {"dynamic", "W8A8->W8A{0,4,8}"}};
  for (const auto& [scheme, bits] : updates) {
    grpc::ClientContext update_context;
    v1::UpdateStreamConfigRequest update;
    update.set_stream_id("burst");
    update.mutable_config()->set_scheme(scheme);
    update.mutable_config()->set_bits(bits);
    v1::StreamInfo info;
    EXPECT_EQ(control->UpdateStreamConfig(&update_context, update, &info).ok(),
              std::string(bits) != "W8A8->W3Q")
        << bits;
  }

  v1::CreatePipelineRequest pipeline;
  pipeline.set_stream_id("testsrc");
  pipeline.set_description(
      "videotestsrc pattern=ball ! video/x-raw,width=160,height=120 ! resqinfer ! fakesink");
  std::shared_ptr<StreamEntry> entry;
  const grpc::Status created = create_pipeline(server_.registry(), pipeline, &entry);
  ASSERT_TRUE(created.ok()) << created.error_message();
  std::string metrics;
  for (int i = 0; i < 600; ++i) {
    metrics = scrape(server_.metrics_port());
    if (sample(metrics, "resq_frames_total{stream=\"testsrc\"}") >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(promtool_check(metrics), 0) << metrics;
  EXPECT_EQ(sample(metrics, "resq_dropped_frames_total{stream=\"burst\"}"), dropped);
  // Two accepted changes; the invalid bits are not a config update.
  EXPECT_EQ(sample(metrics, "resq_config_updates_total{stream=\"burst\"}"), 2.0);
  EXPECT_GE(sample(metrics, "resq_frames_total{stream=\"testsrc\"}"), 3.0) << metrics;
  EXPECT_GT(sample(metrics, "resq_reference_bops_total{reference=\"w8a8\",stream=\"testsrc\"}"),
            0.0)
      << metrics;
  EXPECT_GT(sample(metrics, "resq_keyframe_cache_bytes{stream=\"testsrc\"}"), 0.0);
  EXPECT_GT(sample(metrics, "resq_engine_cpu_seconds_total{stream=\"testsrc\"}"), 0.0);
  // A pipeline's outputs are in its streaming thread's buffers, counted once server-wide.
  EXPECT_EQ(sample(metrics, "resq_activation_buffer_bytes{stream=\"testsrc\"}"), 0.0);
  EXPECT_GT(sample(metrics, "resq_shared_buffer_bytes"), 0.0);
  EXPECT_GT(sample(metrics, "resq_scratch_bytes{stream=\"testsrc\"}"), 0.0);
  EXPECT_EQ(sample(metrics, "resq_streams_active"), 2.0);

  ASSERT_TRUE(delete_pipeline(server_.registry(), "testsrc").ok());
  entry.reset();
  EXPECT_EQ(scrape(server_.metrics_port()).find("testsrc"), std::string::npos);
  call->WritesDone();
  EXPECT_TRUE(call->Finish().ok());
}

// A skipping stream counts the frames whose outputs it repeated: of 6 frames at T = 3, frames
// 0 and 3 are keyframes, the other 4 repeat them.
TEST_F(MetricsTest, CountsRepeatedFrames) {
  v1::StreamConfig skip;
  skip.set_scheme("skip");
  skip.set_bits("fp32->skip");
  skip.set_keyframe_interval(3);
  grpc::ClientContext context;
  auto call = streams_->Process(&context);
  ASSERT_NO_FATAL_FAILURE(open_and_run(*call, "skipper", skip, 6));
  const std::string exposition = scrape(server_.metrics_port());
  EXPECT_EQ(sample(exposition, "resq_frames_total{stream=\"skipper\"}"), 6.0) << exposition;
  EXPECT_EQ(sample(exposition, "resq_keyframes_total{stream=\"skipper\"}"), 2.0);
  EXPECT_EQ(sample(exposition, "resq_repeated_frames_total{stream=\"skipper\"}"), 4.0);
  call->WritesDone();
  ASSERT_TRUE(call->Finish().ok());
}

TEST_F(MetricsTest, TakenAddressFails_n) {
  ServerOptions taken = options();
  taken.metrics_listen = "127.0.0.1:" + std::to_string(server_.metrics_port());
  EXPECT_THROW(ResQServer(acquire_model(kAssets + "/selfie_segmentation.tflite",
                                        RESQ_SERVER_CALIBRATION),
                          StreamSettings{}, taken),
               std::runtime_error);
}

}  // namespace
}  // namespace resq::server
