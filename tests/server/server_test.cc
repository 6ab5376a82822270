// resq-server in process: frames over StreamService against ResQStream run directly, live
// reconfiguration over ControlService, and bad input that must leave the server healthy.
#include <chrono>
#include <map>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "engine/stream/model_cache.h"
#include "server/proto_convert.h"
#include "server/server.h"
#include "tests/server/clip_jpegs.h"

namespace resq::server {
namespace {

const std::string kAssets = RESQ_ASSET_DIR;
constexpr size_t kMaxFrameBytes = 64 << 10;

v1::ProcessRequest open_request(const std::string& id, const v1::StreamConfig& config = {}) {
  v1::ProcessRequest request;
  request.mutable_open()->set_stream_id(id);
  *request.mutable_open()->mutable_config() = config;
  return request;
}

v1::ProcessRequest jpeg_request(const std::string& jpeg) {
  v1::ProcessRequest request;
  request.mutable_frame()->set_jpeg(jpeg);
  return request;
}

// What the server decodes from a JPEG frame, for running a stream directly next to it.
cv::Mat decoded(const std::string& jpeg) {
  const cv::Mat buffer(1, static_cast<int>(jpeg.size()), CV_8UC1, const_cast<char*>(jpeg.data()));
  return cv::imdecode(buffer, cv::IMREAD_COLOR);
}

std::map<int, int64_t> pixel_counts(const v1::FrameStats& stats) {
  return {stats.pixels_per_bits().begin(), stats.pixels_per_bits().end()};
}

using ProcessCall = grpc::ClientReaderWriter<v1::ProcessRequest, v1::ProcessResponse>;

// One Process call sending a frame and reading its response in lockstep (nothing dropped).
class StreamClient {
 public:
  StreamClient(v1::StreamService::Stub& stub, const std::string& id,
               const v1::StreamConfig& config = {})
      : call_(stub.Process(&context_)) {
    EXPECT_TRUE(call_->Write(open_request(id, config)));
  }
  v1::ProcessResponse send(const v1::ProcessRequest& frame) {
    EXPECT_TRUE(call_->Write(frame));
    v1::ProcessResponse response;
    EXPECT_TRUE(call_->Read(&response));
    return response;
  }
  grpc::Status close() {
    call_->WritesDone();
    return call_->Finish();
  }
  void cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<ProcessCall> call_;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest()
      : model_(acquire_model(kAssets + "/selfie_segmentation.tflite", RESQ_SERVER_CALIBRATION)),
        server_(model_, StreamSettings{}, options()) {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.port()),
                                       grpc::InsecureChannelCredentials());
    streams_ = v1::StreamService::NewStub(channel);
    control_ = v1::ControlService::NewStub(channel);
  }

  static ServerOptions options() {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.limits.max_frame_bytes = kMaxFrameBytes;
    return o;
  }

  std::vector<std::string> listed() {
    grpc::ClientContext context;
    v1::ListStreamsResponse response;
    EXPECT_TRUE(control_->ListStreams(&context, {}, &response).ok());
    std::vector<std::string> ids;
    for (const auto& s : response.streams()) ids.push_back(s.stream_id());
    return ids;
  }

  grpc::Status update(const std::string& id, const v1::StreamConfig& config,
                      v1::StreamInfo* info) {
    grpc::ClientContext context;
    v1::UpdateStreamConfigRequest request;
    request.set_stream_id(id);
    *request.mutable_config() = config;
    return control_->UpdateStreamConfig(&context, request, info);
  }

  std::shared_ptr<const LoadedModel> model_;
  ResQServer server_;
  std::unique_ptr<v1::StreamService::Stub> streams_;
  std::unique_ptr<v1::ControlService::Stub> control_;
};

TEST_F(ServerTest, ResultsMatchResQStreamRunDirectly) {
  const auto jpegs = clip_jpegs(8);
  ResQStream direct(model_, resolve_stream_config(StreamSettings{}), std::nullopt);
  StreamClient client(*streams_, "webcam");
  for (size_t i = 0; i < jpegs.size(); ++i) {
    const v1::ProcessResponse response = client.send(jpeg_request(jpegs[i]));
    ASSERT_TRUE(response.has_result()) << response.error().message();
    direct.process(decoded(jpegs[i]));
    const v1::FrameResult& result = response.result();
    EXPECT_EQ(result.frame_index(), i);
    EXPECT_EQ(result.mask_png(), mask_png(direct.mask())) << "frame " << i;
    v1::FrameStats expected;
    to_proto(direct.cost(), &expected);
    EXPECT_EQ(result.stats().keyframe(), expected.keyframe()) << "frame " << i;
    EXPECT_EQ(result.stats().bops(), expected.bops()) << "frame " << i;
    EXPECT_EQ(result.stats().reference_bops_w8a8(), expected.reference_bops_w8a8());
    EXPECT_EQ(pixel_counts(result.stats()), pixel_counts(expected)) << "frame " << i;
    EXPECT_GT(result.stats().cpu_ms(), 0.0) << "frame " << i;
    EXPECT_EQ(result.dropped_frames(), 0u);
  }
  EXPECT_TRUE(client.close().ok());
  EXPECT_TRUE(listed().empty());
}

TEST_F(ServerTest, PngAndRawRgb8FramesGiveTheSameMask) {
  cv::VideoCapture cap(kAssets + "/movie.avi");
  cv::Mat bgr;
  ASSERT_TRUE(cap.read(bgr));
  std::vector<uchar> png;
  cv::imencode(".png", bgr, png);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);

  v1::ProcessRequest as_png;
  as_png.mutable_frame()->set_png(std::string(png.begin(), png.end()));
  v1::ProcessRequest as_raw;
  as_raw.mutable_frame()->set_raw_rgb8(std::string(rgb.datastart, rgb.dataend));
  as_raw.mutable_frame()->set_width(rgb.cols);
  as_raw.mutable_frame()->set_height(rgb.rows);

  StreamClient png_client(*streams_, "png");
  StreamClient raw_client(*streams_, "raw");
  const v1::ProcessResponse from_png = png_client.send(as_png);
  const v1::ProcessResponse from_raw = raw_client.send(as_raw);
  ASSERT_TRUE(from_png.has_result()) << from_png.error().message();
  ASSERT_TRUE(from_raw.has_result()) << from_raw.error().message();
  EXPECT_EQ(from_png.result().mask_png(), from_raw.result().mask_png());
  EXPECT_TRUE(png_client.close().ok());
  EXPECT_TRUE(raw_client.close().ok());
}

TEST_F(ServerTest, FramesSentFasterThanTheyRunAreDroppedAndCounted) {
  const auto jpegs = clip_jpegs(24);
  grpc::ClientContext context;
  auto call = streams_->Process(&context);
  ASSERT_TRUE(call->Write(open_request("burst")));
  for (const auto& jpeg : jpegs) ASSERT_TRUE(call->Write(jpeg_request(jpeg)));
  call->WritesDone();
  v1::ProcessResponse response;
  uint64_t results = 0;
  uint64_t dropped = 0;
  while (call->Read(&response)) {
    ASSERT_TRUE(response.has_result()) << response.error().message();
    ++results;
    dropped = response.result().dropped_frames();
  }
  EXPECT_TRUE(call->Finish().ok());
  // The frames arrive far faster than one runs, so the queue (depth 4) overflows. Every frame
  // is answered or counted as dropped; the last one is never dropped.
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(results + dropped, jpegs.size());
  EXPECT_EQ(response.result().frame_index(), jpegs.size() - 1);
}

// Frames that skipping repeats carry the keyframe's mask (not encoded again), the same bytes as
// the stream run directly, also after a frame that did not decode.
TEST_F(ServerTest, SkippedFramesCarryTheKeyframesMask) {
  const auto jpegs = clip_jpegs(6);
  v1::StreamConfig skip;
  skip.set_scheme("skip");
  skip.set_bits("fp32->skip");
  skip.set_keyframe_interval(3);
  StreamClient client(*streams_, "skipping", skip);
  ResQStream direct(model_, StreamConfig{BitConfig::parse("fp32->skip"), 3}, std::nullopt);
  std::string keyframe_mask;
  for (size_t i = 0; i < jpegs.size(); ++i) {
    if (i == 1) {
      ASSERT_TRUE(client.send(jpeg_request("not a jpeg")).has_error());
    }
    const v1::ProcessResponse response = client.send(jpeg_request(jpegs[i]));
    ASSERT_TRUE(response.has_result()) << response.error().message();
    direct.process(decoded(jpegs[i]));
    const v1::FrameResult& result = response.result();
    EXPECT_EQ(result.stats().keyframe(), i % 3 == 0) << "frame " << i;
    EXPECT_EQ(result.stats().repeated(), i % 3 != 0) << "frame " << i;
    EXPECT_EQ(result.mask_png(), mask_png(direct.mask())) << "frame " << i;
    if (i % 3 != 0) {
      EXPECT_EQ(result.mask_png(), keyframe_mask) << "frame " << i;
    } else {  // a new keyframe's mask differs, so a mask kept too long would show
      EXPECT_NE(result.mask_png(), keyframe_mask) << "frame " << i;
      keyframe_mask = result.mask_png();
    }
  }
  grpc::ClientContext context;
  v1::ListStreamsResponse listing;
  ASSERT_TRUE(control_->ListStreams(&context, {}, &listing).ok());
  ASSERT_EQ(listing.streams_size(), 1);
  EXPECT_EQ(listing.streams(0).keyframes(), 2u);        // frames 0 and 3
  // The others; the frame that did not decode is an error, neither.
  EXPECT_EQ(listing.streams(0).repeated_frames(), 4u);
  EXPECT_TRUE(client.close().ok());
}

// Streams that open together do not keep their keyframes together (they would queue behind
// each other on the same frames): the k-th stream opened has its first period cut by k mod T
// frames, then a keyframe every T frames.
TEST_F(ServerTest, StreamsOpenedTogetherSpreadTheirKeyframes) {
  const auto jpegs = clip_jpegs(6);
  v1::StreamConfig skip;
  skip.set_scheme("skip");
  skip.set_bits("fp32->skip");
  skip.set_keyframe_interval(3);
  std::vector<std::unique_ptr<StreamClient>> clients;
  std::vector<std::vector<size_t>> keyframes(4);
  for (size_t i = 0; i < jpegs.size(); ++i)
    for (size_t k = 0; k < keyframes.size(); ++k) {
      if (i == 0)  // opened in turn: each first frame answered before the next stream opens
        clients.push_back(
            std::make_unique<StreamClient>(*streams_, "camera-" + std::to_string(k), skip));
      const v1::ProcessResponse response = clients[k]->send(jpeg_request(jpegs[i]));
      ASSERT_TRUE(response.has_result()) << response.error().message();
      if (response.result().stats().keyframe()) keyframes[k].push_back(i);
    }
  EXPECT_EQ(keyframes[0], (std::vector<size_t>{0, 3}));
  EXPECT_EQ(keyframes[1], (std::vector<size_t>{0, 2, 5}));
  EXPECT_EQ(keyframes[2], (std::vector<size_t>{0, 1, 4}));
  EXPECT_EQ(keyframes[3], (std::vector<size_t>{0, 3}));
  for (auto& client : clients) EXPECT_TRUE(client->close().ok());
}

// A frame that skipping repeats is not decoded: bytes that are no JPEG are still an error, a
// JPEG damaged past its header gets the keyframe's result; the same bytes on a frame the
// network runs are an error, and the keyframe they would have been is still due.
TEST_F(ServerTest, SkippedFramesAreCheckedButNotDecoded_n) {
  const auto jpegs = clip_jpegs(4);
  const std::string damaged = with_bad_huffman_table(jpegs[1]);
  v1::StreamConfig skip;
  skip.set_scheme("skip");
  skip.set_bits("fp32->skip");
  skip.set_keyframe_interval(3);
  StreamClient client(*streams_, "skip-checks", skip);
  const v1::ProcessResponse key = client.send(jpeg_request(jpegs[0]));
  ASSERT_TRUE(key.has_result()) << key.error().message();
  const v1::ProcessResponse repeated = client.send(jpeg_request(damaged));
  ASSERT_TRUE(repeated.has_result()) << repeated.error().message();
  EXPECT_TRUE(repeated.result().stats().repeated());
  EXPECT_EQ(repeated.result().mask_png(), key.result().mask_png());
  const v1::ProcessResponse not_jpeg = client.send(jpeg_request("not a jpeg"));
  ASSERT_TRUE(not_jpeg.has_error());
  EXPECT_EQ(not_jpeg.error().message(), "jpeg: 10 bytes are not a decodable image");
  ASSERT_TRUE(client.send(jpeg_request(jpegs[2])).has_result());  // the cycle's last frame
  const v1::ProcessResponse run = client.send(jpeg_request(damaged));  // a keyframe is due
  ASSERT_TRUE(run.has_error());
  EXPECT_EQ(run.error().message(),
            "jpeg: " + std::to_string(damaged.size()) + " bytes are not a decodable image");
  const v1::ProcessResponse next = client.send(jpeg_request(jpegs[3]));
  ASSERT_TRUE(next.has_result()) << next.error().message();
  EXPECT_TRUE(next.result().stats().keyframe());
  EXPECT_TRUE(client.close().ok());
}

TEST_F(ServerTest, UpdateStreamConfigChangesKeyframeCadenceOnTheNextFrames) {
  const auto jpegs = clip_jpegs(7);
  StreamClient client(*streams_, "cadence");
  for (int i = 0; i < 4; ++i)  // T = 4: a keyframe, then three residual frames
    EXPECT_EQ(client.send(jpeg_request(jpegs[i])).result().stats().keyframe(), i == 0);
  v1::StreamConfig every_frame;
  every_frame.set_keyframe_interval(1);
  v1::StreamInfo info;
  ASSERT_TRUE(update("cadence", every_frame, &info).ok());
  EXPECT_EQ(info.config().keyframe_interval(), 1);
  EXPECT_EQ(info.config().bits(), "W8A8->W8A{0,4,8}");  // unset fields keep their value
  for (int i = 4; i < 7; ++i)
    EXPECT_TRUE(client.send(jpeg_request(jpegs[i])).result().stats().keyframe()) << i;
  EXPECT_TRUE(client.close().ok());
}

TEST_F(ServerTest, InvalidConfigIsRejectedWithTheReason_n) {
  const auto jpegs = clip_jpegs(2);
  StreamClient client(*streams_, "live");
  ASSERT_TRUE(client.send(jpeg_request(jpegs[0])).has_result());
  v1::StreamConfig bad_bits;
  bad_bits.set_bits("W8A8->W3Q");
  v1::StreamInfo info;
  const grpc::Status status = update("live", bad_bits, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("bits"), std::string::npos) << status.error_message();
  v1::StreamConfig bad_scheme;
  bad_scheme.set_scheme("turbo");
  EXPECT_EQ(update("live", bad_scheme, &info).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(client.send(jpeg_request(jpegs[1])).has_result());  // the old config still runs

  // A bad config on open ends that call only.
  grpc::ClientContext context;
  auto call = streams_->Process(&context);
  call->Write(open_request("bad", bad_bits));
  call->WritesDone();
  const grpc::Status opened = call->Finish();
  EXPECT_EQ(opened.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(opened.error_message().find("bits"), std::string::npos) << opened.error_message();
  EXPECT_TRUE(client.close().ok());
}

TEST_F(ServerTest, UnknownStreamIsNotFound_n) {
  v1::StreamInfo info;
  EXPECT_EQ(update("nobody", {}, &info).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext get_context;
  v1::GetStreamRequest get;
  get.set_stream_id("nobody");
  const grpc::Status status = control_->GetStream(&get_context, get, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("nobody"), std::string::npos);
  grpc::ClientContext key_context;
  v1::ForceKeyframeRequest key;
  key.set_stream_id("nobody");
  v1::ForceKeyframeResponse keyed;
  EXPECT_EQ(control_->ForceKeyframe(&key_context, key, &keyed).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, OversizedAndGarbageFramesGetErrorsAndTheStreamGoesOn_n) {
  const auto jpegs = clip_jpegs(1);
  StreamClient client(*streams_, "rough");

  v1::ProcessRequest oversized;
  oversized.mutable_frame()->set_raw_rgb8(std::string(200 * 200 * 3, '\0'));
  oversized.mutable_frame()->set_width(200);
  oversized.mutable_frame()->set_height(200);
  ASSERT_GT(oversized.frame().raw_rgb8().size(), kMaxFrameBytes);
  v1::ProcessResponse response = client.send(oversized);
  ASSERT_TRUE(response.has_error());
  EXPECT_NE(response.error().message().find("exceed"), std::string::npos)
      << response.error().message();

  response = client.send(jpeg_request("not a jpeg at all"));
  ASSERT_TRUE(response.has_error());
  EXPECT_EQ(response.error().frame_index(), 1u);
  EXPECT_NE(response.error().message().find("jpeg: 17 bytes are not a decodable image"),
            std::string::npos)
      << response.error().message();

  v1::ProcessRequest short_raw;
  short_raw.mutable_frame()->set_raw_rgb8("abc");
  short_raw.mutable_frame()->set_width(2);
  short_raw.mutable_frame()->set_height(2);
  response = client.send(short_raw);
  ASSERT_TRUE(response.has_error());
  EXPECT_NE(response.error().message().find("raw_rgb8: 3 bytes"), std::string::npos)
      << response.error().message();

  response = client.send(jpeg_request(jpegs[0]));
  ASSERT_TRUE(response.has_result()) << response.error().message();
  EXPECT_EQ(response.result().frame_index(), 3u);

  grpc::ClientContext context;
  v1::GetStreamRequest get;
  get.set_stream_id("rough");
  v1::StreamInfo info;
  ASSERT_TRUE(control_->GetStream(&context, get, &info).ok());
  EXPECT_EQ(info.frame_errors(), 3u);
  EXPECT_EQ(info.frames_processed(), 1u);
  EXPECT_TRUE(client.close().ok());
}

TEST_F(ServerTest, ClientCancelFreesTheStreamAndOthersGoOn_n) {
  const auto jpegs = clip_jpegs(2);
  auto leaving = std::make_unique<StreamClient>(*streams_, "leaving");
  StreamClient staying(*streams_, "staying");
  ASSERT_TRUE(leaving->send(jpeg_request(jpegs[0])).has_result());
  ASSERT_TRUE(staying.send(jpeg_request(jpegs[0])).has_result());
  EXPECT_EQ(listed(), (std::vector<std::string>{"leaving", "staying"}));

  leaving->cancel();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (listed().size() != 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(listed(), std::vector<std::string>{"staying"});
  leaving.reset();

  EXPECT_TRUE(staying.send(jpeg_request(jpegs[1])).has_result());
  EXPECT_TRUE(staying.close().ok());
}

TEST_F(ServerTest, ForceKeyframeMakesTheNextFrameAKeyframe) {
  const auto jpegs = clip_jpegs(4);
  v1::StreamConfig rare_keyframes;
  rare_keyframes.set_keyframe_interval(100);
  StreamClient client(*streams_, "forced", rare_keyframes);
  EXPECT_TRUE(client.send(jpeg_request(jpegs[0])).result().stats().keyframe());
  EXPECT_FALSE(client.send(jpeg_request(jpegs[1])).result().stats().keyframe());
  grpc::ClientContext context;
  v1::ForceKeyframeRequest request;
  request.set_stream_id("forced");
  v1::ForceKeyframeResponse response;
  ASSERT_TRUE(control_->ForceKeyframe(&context, request, &response).ok());
  EXPECT_TRUE(client.send(jpeg_request(jpegs[2])).result().stats().keyframe());
  EXPECT_FALSE(client.send(jpeg_request(jpegs[3])).result().stats().keyframe());
  EXPECT_TRUE(client.close().ok());
}

TEST_F(ServerTest, ClientDeadlineEndsTheCallAndFreesTheStream_n) {
  const auto jpegs = clip_jpegs(1);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(3000));
  auto call = streams_->Process(&context);
  ASSERT_TRUE(call->Write(open_request("hurried")));
  ASSERT_TRUE(call->Write(jpeg_request(jpegs[0])));
  v1::ProcessResponse response;
  ASSERT_TRUE(call->Read(&response));
  EXPECT_TRUE(response.has_result());
  EXPECT_FALSE(call->Read(&response));  // nothing more comes before the deadline
  EXPECT_EQ(call->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!listed().empty() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(listed().empty());
}

TEST(ServerWorkersTest, OneWorkerServesSeveralStreamsAtOnce) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.workers = 1;
  ResQServer server(acquire_model(kAssets + "/selfie_segmentation.tflite", RESQ_SERVER_CALIBRATION),
                    StreamSettings{}, options);
  auto stub = v1::StreamService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.port()), grpc::InsecureChannelCredentials()));
  const auto jpegs = clip_jpegs(3);
  std::vector<std::unique_ptr<StreamClient>> clients;
  for (const char* id : {"a", "b", "c"}) clients.push_back(std::make_unique<StreamClient>(*stub, id));
  // Interleaved: each stream's frames are answered while the others stay open.
  for (const auto& jpeg : jpegs)
    for (auto& client : clients) {
      const v1::ProcessResponse response = client->send(jpeg_request(jpeg));
      EXPECT_TRUE(response.has_result()) << response.error().message();
    }
  EXPECT_EQ(server.registry().list().size(), 3u);
  for (auto& client : clients) EXPECT_TRUE(client->close().ok());
  EXPECT_TRUE(server.registry().list().empty());
}

TEST(ServerIdleTimeoutTest, SilentClientIsClosedAndItsStreamFreed_n) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.limits.idle_timeout = std::chrono::milliseconds(1000);
  ResQServer server(acquire_model(kAssets + "/selfie_segmentation.tflite", RESQ_SERVER_CALIBRATION),
                    StreamSettings{}, options);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::StreamService::NewStub(channel);
  const auto jpegs = clip_jpegs(1);
  grpc::ClientContext context;
  auto call = stub->Process(&context);
  ASSERT_TRUE(call->Write(open_request("silent")));
  ASSERT_TRUE(call->Write(jpeg_request(jpegs[0])));
  v1::ProcessResponse response;
  ASSERT_TRUE(call->Read(&response));  // a frame within the timeout is answered
  EXPECT_TRUE(response.has_result());
  EXPECT_FALSE(call->Read(&response));  // then silence ends the call
  const grpc::Status status = call->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_NE(status.error_message().find("--idle-timeout"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(server.registry().list().empty());
}

}  // namespace
}  // namespace resq::server
