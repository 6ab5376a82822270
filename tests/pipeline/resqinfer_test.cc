// resqinfer through GstHarness: caps, meta contents against StreamSession run directly on the
// same frames, live settings, force-keyframe, independent instances, the shared model, and
// settings that must fail the state change (*_n).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "engine/image_tensor.h"
#include "engine/model.h"
#include "engine/resq/calibration_json.h"
#include "engine/resq/stream_session.h"
#include "tests/pipeline/gst_test_util.h"

namespace resq::gst::test {
namespace {

const GstResQMeta& meta_of(const Buffer& buf) {
  const GstResQMeta* meta = gst_buffer_get_resq_meta(buf.get());
  if (!meta) throw std::runtime_error("no GstResQMeta on the buffer");
  return *meta;
}

std::vector<bool> keyframes_of(GstHarness* h, const std::vector<cv::Mat>& frames, int first) {
  std::vector<bool> keys;
  for (size_t i = 0; i < frames.size(); ++i) {
    Buffer out = push_pull(h, frames[i], GST_VIDEO_FORMAT_RGB, first + static_cast<int>(i));
    keys.push_back(out && meta_of(out).keyframe);
  }
  return keys;
}

class ResQInferTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { frames_ = new std::vector<cv::Mat>(clip_frames(12)); }
  static void TearDownTestSuite() { delete frames_; }
  static const std::vector<cv::Mat>& frames() { return *frames_; }
  static std::vector<cv::Mat> frames(size_t from, size_t to) {
    return {frames_->begin() + static_cast<long>(from), frames_->begin() + static_cast<long>(to)};
  }

 private:
  static std::vector<cv::Mat>* frames_;
};
std::vector<cv::Mat>* ResQInferTest::frames_ = nullptr;

TEST_F(ResQInferTest, AcceptsRgbBgrxI420Nv12) {
  for (const char* format : {"RGB", "BGR", "BGRx", "RGBx", "I420", "NV12"}) {
    SCOPED_TRACE(format);
    Harness h(gst_harness_new_parse(infer_launch().c_str()));
    // videotestsrc makes every format, including NV12, with GStreamer's own layout.
    gst_harness_add_src_parse(h.get(),
                              (std::string("videotestsrc pattern=ball ! capsfilter "
                                           "caps=video/x-raw,format=") +
                               format + ",width=161,height=121")
                                  .c_str(),
                              FALSE);
    ASSERT_EQ(gst_harness_push_from_src(h.get()), GST_FLOW_OK);
    Buffer out(gst_harness_pull(h.get()));
    const GstResQMeta& meta = meta_of(out);
    EXPECT_EQ(meta.mask_height, 256u);
    EXPECT_EQ(meta.mask_width, 256u);
    EXPECT_TRUE(meta.keyframe);
  }
}

TEST_F(ResQInferTest, RejectsGray8CapsNamingTheFormat_n) {
  Harness h(gst_harness_new_parse(infer_launch().c_str()));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h.get(),
                               "video/x-raw,format=GRAY8,width=160,height=120,framerate=10/1");
  GstBuffer* gray = gst_buffer_new_allocate(nullptr, 160 * 120, nullptr);
  EXPECT_EQ(gst_harness_push(h.get(), gray), GST_FLOW_NOT_NEGOTIATED);
  GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  ASSERT_TRUE(m);
  GError* e = nullptr;
  gst_message_parse_warning(m, &e, nullptr);
  EXPECT_NE(std::string(e->message).find("does not take GRAY8 video"), std::string::npos)
      << e->message;
  g_error_free(e);
  gst_message_unref(m);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
}

TEST_F(ResQInferTest, Gray8IsALinkErrorNamingTheFormat_n) {
  const LaunchResult r = try_launch("videotestsrc num-buffers=1 ! video/x-raw,format=GRAY8 ! " +
                                    infer_launch() + " ! fakesink");
  EXPECT_EQ(r.state_change, GST_STATE_CHANGE_FAILURE);
  EXPECT_NE(r.error.find("GRAY8"), std::string::npos) << r.error;
}

// The element's meta on RGB frames equals the engine's StreamSession on the same BGR frames.
TEST_F(ResQInferTest, MetaMatchesStreamSessionOnTheSameFrames) {
  auto graph = load_model(kModel);
  const Calibration calibration = load_calibration(kCalibration, *graph);
  auto model =
      std::make_shared<const QuantizedModel>(graph, calibration, calibration.recipe.weights);
  StreamSession session(model, StreamConfig{BitConfig::parse("W8A8->W8A{0,4,8}"), 4, 3.0});
  const ImageInput image = find_image_input(*graph);
  const std::string output_name = graph->values[static_cast<size_t>(graph->outputs[0])].name;

  Harness h =
      make_harness(infer_launch("scheme=dynamic bits=W8A8->W8A{0,4,8} "
                                "keyframe-interval=4 tau=3"));
  std::vector<Tensor> inputs(1);
  for (size_t i = 0; i < 8; ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    frame_to_tensor(frames()[i], image, inputs[0]);
    const Tensor expected = session.process(inputs).at(0);
    const FrameCost& cost = session.last_cost();

    Buffer out = push_pull(h.get(), frames()[i], GST_VIDEO_FORMAT_RGB, static_cast<int>(i));
    ASSERT_TRUE(out);
    const GstResQMeta& meta = meta_of(out);
    EXPECT_EQ(meta.frame, i);
    EXPECT_STREQ(meta.output_name, output_name.c_str());
    EXPECT_STREQ(meta.bits, "W8A8->W8A{0,4,8}");
    ASSERT_EQ(meta.rank, expected.shape().size());
    for (size_t d = 0; d < meta.rank; ++d) EXPECT_EQ(meta.shape[d], expected.shape()[d]);
    const auto n = static_cast<size_t>(expected.numel());
    EXPECT_EQ(std::vector<float>(meta.mask, meta.mask + n),
              std::vector<float>(expected.f32(), expected.f32() + n));
    EXPECT_EQ(static_cast<bool>(meta.keyframe), cost.keyframe);
    EXPECT_EQ(meta.keyframe_distance, cost.keyframe_distance);
    EXPECT_FALSE(meta.repeated);
    EXPECT_EQ(meta.bops, cost.bops);
    EXPECT_EQ(meta.policy_bops, cost.policy_bops);
    EXPECT_EQ(meta.bops_fp32, cost.bops_fp32);
    EXPECT_EQ(meta.bops_w8a8, cost.bops_w8a8);
    EXPECT_GT(meta.latency_ms, 0.0);
    EXPECT_GT(meta.cpu_ms, 0.0);
    for (const auto& [bits, pixels] : cost.pixels_per_bits)
      EXPECT_EQ(meta.pixels_per_bits[bits], pixels) << bits << " bits";
    EXPECT_EQ(meta.bit_map_height, 256u);
    EXPECT_EQ(meta.bit_map_width, 256u);
    EXPECT_TRUE(meta.bit_map);

    // The pixels pass through untouched.
    Buffer in(frame_buffer(frames()[i], GST_VIDEO_FORMAT_RGB, 0));
    GstMapInfo pixels;
    ASSERT_TRUE(gst_buffer_map(in.get(), &pixels, GST_MAP_READ));
    EXPECT_EQ(gst_buffer_memcmp(out.get(), 0, pixels.data, pixels.size), 0);
    gst_buffer_unmap(in.get(), &pixels);
  }
}

TEST_F(ResQInferTest, StatsPropertiesAndMessages) {
  Harness h = make_harness(infer_launch("stats-interval=2 stream-id=cam0"));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(push_pull(h.get(), frames()[i], GST_VIDEO_FORMAT_RGB, i));
  guint64 n = 0, keys = 0;
  gdouble saved = 0;
  g_object_get(infer_of(h.get()), "frames", &n, "keyframes", &keys, "bops-saved-ratio", &saved,
               nullptr);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(keys, 2u);       // frames 0 and 4
  EXPECT_GT(saved, 0.9375);  // W8A8 saves 1 - 64/1024; the residual frames save more
  guint64 cache = 0, buffers = 0, shared = 0, scratch = 0;
  g_object_get(infer_of(h.get()), "keyframe-cache-bytes", &cache, "activation-buffer-bytes",
               &buffers, "shared-buffer-bytes", &shared, "scratch-bytes", &scratch, nullptr);
  EXPECT_GT(cache, 0u);
  EXPECT_EQ(buffers, 0u);  // without change tracking the layers' outputs are in the thread's
  EXPECT_GT(shared, 0u);
  EXPECT_GT(scratch, 0u);

  std::vector<guint64> posted;
  while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure* s = gst_message_get_structure(m);
    if (gst_structure_has_name(s, "resq-stats")) {
      guint64 frame = 0;
      EXPECT_TRUE(gst_structure_get_uint64(s, "frame", &frame));
      EXPECT_STREQ(gst_structure_get_string(s, "stream-id"), "cam0");
      EXPECT_TRUE(gst_structure_has_field(s, "bops"));
      EXPECT_TRUE(gst_structure_has_field(s, "pixels-per-bits"));
      gboolean repeated = TRUE;
      EXPECT_TRUE(gst_structure_get_boolean(s, "repeated", &repeated));
      EXPECT_FALSE(repeated);  // Dynamic-ResQ runs every frame
      posted.push_back(frame);
    }
    gst_message_unref(m);
  }
  EXPECT_EQ(posted, (std::vector<guint64>{0, 2, 4}));
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
}

TEST_F(ResQInferTest, KeyframeIntervalChangeAppliesFromTheNextFrame) {
  Harness h = make_harness(infer_launch("keyframe-interval=4"));
  EXPECT_EQ(keyframes_of(h.get(), frames(0, 3), 0), (std::vector<bool>{true, false, false}));
  g_object_set(infer_of(h.get()), "keyframe-interval", 2, nullptr);
  // Three frames since the keyframe are past T = 2: frame 3 is a keyframe, then every second.
  EXPECT_EQ(keyframes_of(h.get(), frames(3, 10), 3),
            (std::vector<bool>{true, false, true, false, true, false, true}));
}

// keyframe-phase p: the second keyframe p frames early, then every T (streams started together
// keep their keyframes apart).
TEST_F(ResQInferTest, KeyframePhaseShortensTheFirstPeriodOnly) {
  Harness h = make_harness(infer_launch("keyframe-interval=3 keyframe-phase=1"));
  gint phase = 0;
  g_object_get(infer_of(h.get()), "keyframe-phase", &phase, nullptr);
  EXPECT_EQ(phase, 1);
  EXPECT_EQ(keyframes_of(h.get(), frames(0, 7), 0),
            (std::vector<bool>{true, false, true, false, false, true, false}));
}

TEST_F(ResQInferTest, SchemeAndBitsChangeOnTheNextFrame) {
  Harness h = make_harness(infer_launch());
  keyframes_of(h.get(), frames(0, 2), 0);
  g_object_set(infer_of(h.get()), "scheme", 2 /* resq */, "bits", "W8A8->W4A4", nullptr);
  // A scheme change restarts at a keyframe; then every residual pixel at 4 bits.
  Buffer key = push_pull(h.get(), frames()[2], GST_VIDEO_FORMAT_RGB, 2);
  EXPECT_TRUE(meta_of(key).keyframe);
  EXPECT_STREQ(meta_of(key).bits, "W8A8->W4A4");
  Buffer residual = push_pull(h.get(), frames()[3], GST_VIDEO_FORMAT_RGB, 3);
  const GstResQMeta& r = meta_of(residual);
  EXPECT_FALSE(r.keyframe);
  EXPECT_GT(r.pixels_per_bits[4], 0);
  EXPECT_EQ(r.pixels_per_bits[0] + r.pixels_per_bits[8], 0);
  EXPECT_DOUBLE_EQ(r.bops, r.bops_w8a8 / 4);  // 8 x 4 bits instead of 8 x 8

  g_object_set(infer_of(h.get()), "scheme", 4 /* skip */, nullptr);  // bits W8A8->W4A4: W8A8->skip
  Buffer skip_key = push_pull(h.get(), frames()[4], GST_VIDEO_FORMAT_RGB, 4);
  EXPECT_STREQ(meta_of(skip_key).bits, "W8A8->skip");
  EXPECT_FALSE(meta_of(skip_key).repeated);
  Buffer skipped = push_pull(h.get(), frames()[5], GST_VIDEO_FORMAT_RGB, 5);
  EXPECT_FALSE(meta_of(skipped).keyframe);
  EXPECT_TRUE(meta_of(skipped).repeated);
  EXPECT_EQ(meta_of(skipped).bops, 0.0);
}

TEST_F(ResQInferTest, InvalidLiveSettingsWarnAndKeepTheRunningConfig_n) {
  Harness h = make_harness(infer_launch());
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  keyframes_of(h.get(), frames(0, 1), 0);
  for (auto [scheme, bits] : {std::pair{3, "W8A8->W8A{0,4"}, std::pair{2, "W8A8->W8A{0,4,8}"}}) {
    SCOPED_TRACE(bits);
    g_object_set(infer_of(h.get()), "scheme", scheme, "bits", bits, nullptr);
    Buffer out = push_pull(h.get(), frames()[1], GST_VIDEO_FORMAT_RGB, 1);
    ASSERT_TRUE(out);
    EXPECT_STREQ(meta_of(out).bits, "W8A8->W8A{0,4,8}");
    GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
    ASSERT_TRUE(m);
    GError* e = nullptr;
    gst_message_parse_warning(m, &e, nullptr);
    EXPECT_NE(std::string(e->message).find(scheme == 3 ? "bits" : "scheme=resq"), std::string::npos)
        << e->message;
    g_error_free(e);
    gst_message_unref(m);
    gchar* now = nullptr;
    gint scheme_now = 0;
    g_object_get(infer_of(h.get()), "bits", &now, "scheme", &scheme_now, nullptr);
    EXPECT_STREQ(now, "W8A8->W8A{0,4,8}");
    EXPECT_EQ(scheme_now, 3);
    g_free(now);
  }
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
}

// Settings changed from the application thread while the streaming thread runs frames: the
// pipeline reaches EOS with every frame processed and the last settings in effect.
TEST_F(ResQInferTest, LiveChangesFromAnotherThreadWhilePlaying) {
  GstElement* pipeline = gst_parse_launch(
      ("videotestsrc num-buffers=40 ! video/x-raw,width=64,height=48 ! videoconvert ! " +
       infer_launch("name=infer stats-interval=0") + " ! fakesink")
          .c_str(),
      nullptr);
  ASSERT_TRUE(pipeline);
  GstElement* infer = gst_bin_get_by_name(GST_BIN(pipeline), "infer");
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* done = nullptr;
  for (int i = 0; !done; ++i) {
    g_object_set(infer, "keyframe-interval", 1 + i % 5, "tau", 1.0 + i % 3, nullptr);
    if (i % 7 == 0) g_object_set(infer, "scheme", 2, "bits", "W8A8->W4A4", nullptr);
    if (i % 7 == 3) g_object_set(infer, "scheme", 3, "bits", "W8A8->W8A{0,4,8}", nullptr);
    if (i % 11 == 0) g_signal_emit_by_name(infer, "force-keyframe");
    done = gst_bus_timed_pop_filtered(
        bus, 5 * GST_MSECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  }
  EXPECT_EQ(GST_MESSAGE_TYPE(done), GST_MESSAGE_EOS);
  guint64 frames = 0;
  g_object_get(infer, "frames", &frames, nullptr);
  EXPECT_EQ(frames, 40u);
  gst_message_unref(done);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(infer);
  gst_object_unref(pipeline);
}

TEST_F(ResQInferTest, ForceKeyframeActionSignal) {
  Harness h = make_harness(infer_launch("keyframe-interval=8"));
  EXPECT_EQ(keyframes_of(h.get(), frames(0, 2), 0), (std::vector<bool>{true, false}));
  g_signal_emit_by_name(infer_of(h.get()), "force-keyframe");
  EXPECT_EQ(keyframes_of(h.get(), frames(2, 4), 2), (std::vector<bool>{true, false}));
}

TEST_F(ResQInferTest, TwoInstancesKeepIndependentStateAndShareTheModel) {
  Harness a = make_harness(infer_launch());
  Harness b = make_harness(infer_launch());
  guint users = 0;
  g_object_get(infer_of(a.get()), "model-users", &users, nullptr);
  EXPECT_EQ(users, 2u);
  EXPECT_EQ(keyframes_of(a.get(), frames(0, 3), 0), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(keyframes_of(b.get(), frames(0, 1), 0), (std::vector<bool>{true}));
  g_signal_emit_by_name(infer_of(b.get()), "force-keyframe");
  EXPECT_EQ(keyframes_of(a.get(), frames(3, 4), 3), (std::vector<bool>{false}));
  EXPECT_EQ(keyframes_of(b.get(), frames(1, 2), 1), (std::vector<bool>{true}));

  // Another calibration file is another model; the first one stays shared by two.
  const std::string other = kWorkDir + "/calib-copy.json";
  std::filesystem::copy_file(kCalibration, other,
                             std::filesystem::copy_options::overwrite_existing);
  Harness c = make_harness("resqinfer model=" + kModel + " calibration=" + other);
  g_object_get(infer_of(c.get()), "model-users", &users, nullptr);
  EXPECT_EQ(users, 1u);
  g_object_get(infer_of(b.get()), "model-users", &users, nullptr);
  EXPECT_EQ(users, 2u);
}

TEST_F(ResQInferTest, Fp32RunsWithoutCalibration) {
  Harness h = make_harness("resqinfer model=" + kModel + " scheme=fp32");
  Buffer out = push_pull(h.get(), frames()[0], GST_VIDEO_FORMAT_RGB, 0);
  ASSERT_TRUE(out);
  EXPECT_STREQ(meta_of(out).bits, "fp32");
  EXPECT_EQ(meta_of(out).bops, meta_of(out).bops_fp32);
  g_object_set(infer_of(h.get()), "scheme", 4 /* skip */, "bits", "fp32", nullptr);
  Buffer skip = push_pull(h.get(), frames()[1], GST_VIDEO_FORMAT_RGB, 1);
  EXPECT_STREQ(meta_of(skip).bits, "fp32->skip");
}

// Settings that must fail READY -> PAUSED with an error naming the problem.
struct BadSetting {
  std::string name;
  std::string properties;
  std::string expected;  // in the error message
};

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = kWorkDir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// The calibration with another weights fingerprint: made for "another model".
std::string mismatched_calibration() {
  std::ifstream in(kCalibration);
  std::stringstream text;
  text << in.rdbuf();
  const std::string other = std::regex_replace(
      text.str(), std::regex("\"fingerprint\": \"[0-9a-f]+\""), "\"fingerprint\": \"0123\"");
  return write_file("calib-other-model.json", other);
}

TEST_F(ResQInferTest, BadSettingsFailTheStateChange_n) {
  const std::string not_json = write_file("not-json.json", "{ not json");
  const std::string mismatch = mismatched_calibration();
  const std::vector<BadSetting> cases = {
      {"no model", "", "No model"},
      {"missing model", "model=/nonexistent/model.tflite", "/nonexistent/model.tflite"},
      {"missing calibration", "model=" + kModel + " calibration=/nonexistent/calib.json",
       "/nonexistent/calib.json"},
      {"calibration not JSON", "model=" + kModel + " calibration=" + not_json, not_json},
      {"calibration of another model", "model=" + kModel + " calibration=" + mismatch,
       "fingerprint"},
      {"model is not a model", "model=" + kCalibration, kCalibration},
      {"quantized scheme without calibration", "model=" + kModel,
       "needs the `calibration` property"},
      {"scheme contradicts bits",
       "model=" + kModel + " calibration=" + kCalibration + " scheme=resq",
       "scheme=resq contradicts bits"},
      {"bad bits", "model=" + kModel + " calibration=" + kCalibration + " bits=W9A8", "W9A8"},
      {"bit map of a layer that does not exist",
       "model=" + kModel + " calibration=" + kCalibration + " bit-map-layer=1000",
       "bit-map-layer 1000"},
  };
  for (const BadSetting& c : cases) {
    SCOPED_TRACE(c.name);
    const LaunchResult r = try_launch("videotestsrc num-buffers=1 ! videoconvert ! resqinfer " +
                                      c.properties + " ! fakesink");
    EXPECT_EQ(r.state_change, GST_STATE_CHANGE_FAILURE);
    EXPECT_NE(r.error.find(c.expected), std::string::npos) << r.error;
  }
}

}  // namespace
}  // namespace resq::gst::test
