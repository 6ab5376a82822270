// Server-side pipelines (ControlService.CreatePipeline / DeletePipeline) in process: they are
// registry streams like Process calls, take live config, end by themselves at end of stream, and
// bad descriptions are refused with the reason while the server stays healthy.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "engine/stream/model_cache.h"
#include "server/server.h"

namespace resq::server {
namespace {

const std::string kAssets = RESQ_ASSET_DIR;
const std::string kTestSource =
    "videotestsrc pattern=ball ! video/x-raw,width=160,height=120,framerate=30/1 ! ";

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest()
      : server_(acquire_model(kAssets + "/selfie_segmentation.tflite", RESQ_SERVER_CALIBRATION),
                StreamSettings{}, options()),
        control_(v1::ControlService::NewStub(
            grpc::CreateChannel("127.0.0.1:" + std::to_string(server_.port()),
                                grpc::InsecureChannelCredentials()))) {}

  static ServerOptions options() {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    return o;
  }

  grpc::Status create(const std::string& id, const std::string& description,
                      v1::StreamInfo* info, bool loop = false,
                      const v1::StreamConfig& config = {}) {
    grpc::ClientContext context;
    v1::CreatePipelineRequest request;
    request.set_stream_id(id);
    request.set_description(description);
    request.set_loop(loop);
    *request.mutable_config() = config;
    return control_->CreatePipeline(&context, request, info);
  }

  grpc::Status remove(const std::string& id) {
    grpc::ClientContext context;
    v1::DeletePipelineRequest request;
    request.set_stream_id(id);
    v1::DeletePipelineResponse response;
    return control_->DeletePipeline(&context, request, &response);
  }

  // NOT_FOUND once the stream is gone.
  grpc::Status get(const std::string& id, v1::StreamInfo* info) {
    grpc::ClientContext context;
    v1::GetStreamRequest request;
    request.set_stream_id(id);
    return control_->GetStream(&context, request, info);
  }

  // Polls GetStream until `done` holds (or the stream is gone); false after 60 s.
  bool wait_for(const std::string& id, const std::function<bool(const grpc::Status&,
                                                                const v1::StreamInfo&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      v1::StreamInfo info;
      const grpc::Status status = get(id, &info);
      if (done(status, info)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Runs a 1000 fps live source through `before` into resqinfer until 5 frames were processed
  // and 5 dropped (or 60 s passed), deletes the pipeline and returns its last counts.
  v1::StreamInfo run_live(const std::string& id, const std::string& before) {
    v1::StreamInfo info;
    const grpc::Status status =
        create(id,
               "videotestsrc is-live=true pattern=ball ! "
               "video/x-raw,width=160,height=120,framerate=1000/1 ! " +
                   before + " ! resqinfer ! fakesink",
               &info);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) return info;
    EXPECT_TRUE(wait_for(id, [&](const grpc::Status& s, const v1::StreamInfo& i) {
      if (!s.ok()) return true;
      info = i;
      return i.frames_processed() >= 5 && i.frames_dropped() >= 5;
    }));
    EXPECT_TRUE(remove(id).ok());
    return info;
  }

  ResQServer server_;
  std::unique_ptr<v1::ControlService::Stub> control_;
};

TEST_F(PipelineTest, PipelineIsARegistryStreamAndLeavesAtEndOfStream) {
  v1::StreamInfo info;
  const grpc::Status status =
      create("ball", "videotestsrc num-buffers=30 pattern=ball ! "
                     "video/x-raw,width=160,height=120 ! resqinfer keyframe-interval=3 ! fakesink",
             &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.stream_id(), "ball");
  EXPECT_EQ(info.origin(), "pipeline");
  EXPECT_EQ(info.config().keyframe_interval(), 3);  // the description's property
  EXPECT_EQ(info.config().scheme(), "dynamic");     // the server's default
  uint64_t processed = 0;
  uint64_t keyframes = 0;
  EXPECT_TRUE(wait_for("ball", [&](const grpc::Status& s, const v1::StreamInfo& i) {
    if (!s.ok()) return s.error_code() == grpc::StatusCode::NOT_FOUND;
    processed = i.frames_processed();
    keyframes = i.keyframes();
    return false;
  })) << "the pipeline did not end";
  EXPECT_GT(processed, 0u) << "no frame was counted into the stream";
  EXPECT_LE(processed, 30u);
  EXPECT_GE(keyframes, 1u);
  EXPECT_LE(keyframes, (processed + 2) / 3);  // T = 3: frames 0, 3, 6, ...
  EXPECT_TRUE(server_.registry().list().empty());
}

TEST_F(PipelineTest, LoopingPipelineTakesLiveConfigUntilDeleted) {
  v1::StreamInfo info;
  v1::StreamConfig config;
  config.set_keyframe_interval(5);
  const grpc::Status status =
      create("clip",
             "filesrc location=" + kAssets + "/movie.avi ! decodebin ! videoconvert ! " +
                 "resqinfer keyframe-interval=2 ! fakesink",
             &info, /*loop=*/true, config);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.config().keyframe_interval(), 5);  // the request wins over the description

  // movie.avi has 68 frames: more than that means it looped.
  ASSERT_TRUE(wait_for("clip", [](const grpc::Status& s, const v1::StreamInfo& i) {
    return !s.ok() || i.frames_processed() > 70;
  }));
  ASSERT_TRUE(get("clip", &info).ok()) << "the looping pipeline ended";
  EXPECT_LT(info.keyframes(), info.frames_processed() / 2);

  v1::StreamConfig every_frame;
  every_frame.set_keyframe_interval(1);
  grpc::ClientContext context;
  v1::UpdateStreamConfigRequest update;
  update.set_stream_id("clip");
  *update.mutable_config() = every_frame;
  ASSERT_TRUE(control_->UpdateStreamConfig(&context, update, &info).ok());
  EXPECT_EQ(info.config().keyframe_interval(), 1);
  const uint64_t frames_before = info.frames_processed();
  const uint64_t keyframes_before = info.keyframes();
  ASSERT_TRUE(wait_for("clip", [&](const grpc::Status& s, const v1::StreamInfo& i) {
    return !s.ok() || i.frames_processed() >= frames_before + 12;
  }));
  ASSERT_TRUE(get("clip", &info).ok());
  // T changes at the next keyframe (within the old T = 5 frames); every frame after it is one.
  EXPECT_GE(info.keyframes() - keyframes_before, info.frames_processed() - frames_before - 5);

  grpc::ClientContext key_context;
  v1::ForceKeyframeRequest key;
  key.set_stream_id("clip");
  v1::ForceKeyframeResponse keyed;
  EXPECT_TRUE(control_->ForceKeyframe(&key_context, key, &keyed).ok());

  ASSERT_TRUE(remove("clip").ok());
  EXPECT_EQ(get("clip", &info).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(remove("clip").error_code(), grpc::StatusCode::NOT_FOUND);
}

// A leaky queue in front of resqinfer drops the frames resqinfer is too slow for (a 1000 fps
// live source here): they arrived but never ran, so they count as dropped and received.
TEST_F(PipelineTest, LeakyQueueDropsBeforeResqinferCountAsDropped) {
  const v1::StreamInfo info = run_live("leaky", "queue leaky=downstream max-size-buffers=1");
  EXPECT_GE(info.frames_processed(), 5u);
  EXPECT_GE(info.frames_dropped(), 5u) << "the queue's drops were not counted";
  EXPECT_GE(info.frames_received(), info.frames_processed() + info.frames_dropped());
}

// The same with the queue inside a bin: found there, and linked out of it through a ghost pad.
TEST_F(PipelineTest, LeakyQueueInABinCountsItsDrops) {
  const v1::StreamInfo info = run_live("binned", "( queue leaky=downstream max-size-buffers=1 )");
  EXPECT_GE(info.frames_dropped(), 5u) << "the binned queue's drops were not counted";
}

// A leaky queue after resqinfer drops results, not frames: every frame ran, none dropped.
TEST_F(PipelineTest, LeakyQueueAfterResqinferDropsNoFrames_n) {
  v1::StreamInfo info;
  const grpc::Status status = create(
      "after", "videotestsrc num-buffers=20 pattern=ball ! video/x-raw,width=160,height=120 ! "
               "resqinfer ! queue leaky=downstream max-size-buffers=1 ! "
               "identity sleep-time=20000 ! fakesink",
      &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  uint64_t dropped = 0, processed = 0;
  EXPECT_TRUE(wait_for("after", [&](const grpc::Status& s, const v1::StreamInfo& i) {
    if (!s.ok()) return s.error_code() == grpc::StatusCode::NOT_FOUND;
    dropped = std::max<uint64_t>(dropped, i.frames_dropped());
    processed = i.frames_processed();
    return false;
  })) << "the pipeline did not end";
  EXPECT_GT(processed, 0u);
  EXPECT_EQ(dropped, 0u);
}

TEST_F(PipelineTest, PipelineStartingPastTheClientDeadlineIsRemoved_n) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::CreatePipelineRequest request;
  request.set_stream_id("slow");
  // identity sleeps 2 s on the first buffer: the pipeline prerolls long after the deadline.
  request.set_description(kTestSource + "identity sleep-time=2000000 ! resqinfer ! fakesink");
  v1::StreamInfo info;
  EXPECT_EQ(control_->CreatePipeline(&context, request, &info).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server finishes starting it, sees the call is over, and removes it.
  EXPECT_TRUE(wait_for("slow", [](const grpc::Status& s, const v1::StreamInfo&) {
    return s.error_code() == grpc::StatusCode::NOT_FOUND;
  }));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_TRUE(server_.registry().list().empty());
}

TEST_F(PipelineTest, BadDescriptionsAreRefusedWithTheReason_n) {
  const struct {
    std::string description;
    std::string reason;  // in the error message
  } cases[] = {
      {"videotestsrc ! ! fakesink", "description:"},
      {kTestSource + "fakesink", "exactly one resqinfer element, has 0"},
      {kTestSource + "resqinfer ! resqinfer ! fakesink", "exactly one resqinfer element, has 2"},
      {kTestSource + "nosuchelement ! resqinfer ! fakesink", "nosuchelement"},
      {kTestSource + "resqinfer model=/elsewhere/model.tflite ! fakesink", "server's model"},
      {"filesrc location=/nonexistent/clip.avi ! decodebin ! videoconvert ! resqinfer ! fakesink",
       "/nonexistent/clip.avi"},
  };
  for (const auto& c : cases) {
    v1::StreamInfo info;
    const grpc::Status status = create("bad", c.description, &info);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.description;
    EXPECT_NE(status.error_message().find(c.reason), std::string::npos)
        << c.description << " -> " << status.error_message();
  }
  v1::StreamConfig bad_bits;
  bad_bits.set_bits("W8A8->W3Q");
  v1::StreamInfo info;
  const grpc::Status status = create("bad", kTestSource + "resqinfer ! fakesink", &info, false,
                                     bad_bits);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("bits"), std::string::npos) << status.error_message();
  EXPECT_TRUE(server_.registry().list().empty()) << "a refused pipeline stayed registered";

  // The server is healthy: a good pipeline starts, a second one cannot take its id.
  ASSERT_TRUE(create("good", kTestSource + "resqinfer ! fakesink", &info).ok());
  EXPECT_EQ(create("good", kTestSource + "resqinfer ! fakesink", &info).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(remove("good").ok());
}

TEST_F(PipelineTest, DeletePipelineLeavesClientStreamsAlone_n) {
  std::shared_ptr<StreamEntry> client_stream;
  const auto make_target = [&](const StreamSettings&, const StreamConfig& config) {
    return std::make_unique<EngineTarget>(server_.registry().model(), config);
  };
  ASSERT_TRUE(server_.registry().open("camera", "grpc", {}, make_target, &client_stream).ok());
  const grpc::Status status = remove("camera");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("client"), std::string::npos) << status.error_message();
  v1::StreamInfo info;
  EXPECT_TRUE(get("camera", &info).ok());
  server_.registry().close(*client_stream);
}

}  // namespace
}  // namespace resq::server
