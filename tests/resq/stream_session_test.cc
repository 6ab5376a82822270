// ResQ invariants on the real default model and clip (issue #3): the schemes must reduce to each
// other where the maths says they do, and the BOP count must follow MACs x b_w x b_a.
#include "engine/resq/stream_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "engine/image_tensor.h"
#include "engine/model.h"
#include "engine/stream/resq_stream.h"
#include "engine/value_buffers.h"
#include "tests/resq/scheme_fixture.h"

namespace resq {
namespace {

StreamConfig config(const std::string& bits, int period = 4) {
  return StreamConfig{BitConfig::parse(bits), period};
}

double max_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, static_cast<double>(std::fabs(a.f32()[i] - b.f32()[i])));
  return m;
}

TEST(StreamSession, CalibrationCoversEveryLinearLayer) {
  Fixture& f = fixture();
  ASSERT_EQ(f.calibration.layers.size(), 55u);  // 54 Conv + 1 ConvTranspose
  for (const LayerCalibration& l : f.calibration.layers) {
    EXPECT_EQ(l.key_clip.size(), 2u) << l.node;
    EXPECT_EQ(l.residual_clip.size(), 2u) << l.node;
    EXPECT_GE(l.key_clip.at(8), 0.0) << l.node;
  }
}

// The model's weights by bits: every calibrated width, integer levels up to 8 bits only, and an
// error naming the layer for any other width (in range or not).
TEST(QuantizedModel, WeightsByBitsAndUnknownWidths_n) {
  Fixture& f = fixture();
  const QuantizedModel& m = *f.model;
  for (int bits : {2, 4, 8, 16, 32}) {
    EXPECT_GT(m.weight(0, bits).numel(), 0) << bits;
    EXPECT_GT(m.weight_norm(0, bits), 0.0) << bits;
  }
  EXPECT_EQ(m.weight(0, 32).floats()[0], f.graph->values[static_cast<size_t>(
                                             f.graph->nodes[m.linear_nodes()[0]].inputs[1])]
                                             .constant->floats()[0]);
  EXPECT_EQ(m.weight_levels(0, 8).levels.numel(), m.weight(0, 8).numel());
  for (int bits : {-1, 0, 1, 9, 12, 33, 64}) {
    try {
      m.weight(0, bits);
      ADD_FAILURE() << bits << " bits accepted";
    } catch (const std::out_of_range& e) {
      EXPECT_NE(std::string(e.what()).find("layer 'conv2d'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(m.weight_norm(0, bits), std::out_of_range) << bits;
  }
  EXPECT_THROW(m.weight_levels(0, 16), std::out_of_range);
  EXPECT_THROW(m.weight_levels(0, 33), std::out_of_range);
}

TEST(StreamSession, ResQAt32BitsEqualsFp32) {
  Fixture& f = fixture();
  StreamSession fp32(f.model, config("fp32"));
  StreamSession resq(f.model, config("W32A32->W32A32", 4));
  for (size_t t = 0; t < 6; ++t) {
    Tensor want = fp32.process(f.frames[t])[0];
    Tensor got = resq.process(f.frames[t])[0];
    EXPECT_EQ(resq.last_cost().keyframe, t % 4 == 0) << "frame " << t;
    EXPECT_LE(max_diff(got, want), 1e-4) << "frame " << t;
  }
}

TEST(StreamSession, ResQWithPeriodOneIsFrameQuantization) {
  Fixture& f = fixture();
  StreamSession frame(f.model, config("W8A8"));
  StreamSession resq(f.model, config("W8A8->W4A4", 1));
  for (size_t t = 0; t < 3; ++t) {
    Tensor a = frame.process(f.frames[t])[0];
    Tensor b = resq.process(f.frames[t])[0];
    EXPECT_TRUE(resq.last_cost().keyframe);
    EXPECT_EQ(max_diff(a, b), 0.0) << "frame " << t;
  }
}

TEST(StreamSession, ZeroBitResidualsRepeatTheKeyframeOutput) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W8A0", 3));
  Tensor key = resq.process(f.frames[0])[0];
  for (size_t t = 1; t < 3; ++t) {
    EXPECT_EQ(max_diff(resq.process(f.frames[t])[0], key), 0.0) << "frame " << t;
    EXPECT_EQ(resq.last_cost().bops, 0.0);
  }
}

TEST(StreamSession, ResidualsMoveTheOutput) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 4));
  Tensor key = resq.process(f.frames[0])[0];
  Tensor next = resq.process(f.frames[5])[0];  // a different frame: the residual is not zero
  EXPECT_GT(max_diff(key, next), 1e-3);
}

TEST(StreamSession, BopsFollowMacsTimesBits) {
  Fixture& f = fixture();
  const double macs = static_cast<double>(f.model->total_macs());
  EXPECT_EQ(macs, 59215744.0);
  StreamSession resq(f.model, config("W8A8->W4A4", 3));
  double total = 0;
  for (size_t t = 0; t < 3; ++t) {
    resq.process(f.frames[t]);
    total += resq.last_cost().bops;
    EXPECT_EQ(resq.last_cost().bops_fp32, macs * 32 * 32);
    EXPECT_EQ(resq.last_cost().bops_w8a8, macs * 8 * 8);
  }
  EXPECT_DOUBLE_EQ(total / 3, macs * (64 + 2 * 16) / 3);
}

TEST(StreamSession, KeyframeCacheHoldsEveryLayer) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 4));
  EXPECT_EQ(resq.cache().bytes(), 0u);
  resq.process(f.frames[0]);
  size_t expected = 0;
  for (size_t li = 0; li < resq.cache().size(); ++li) {
    const KeyframeCache::Layer& l = resq.cache().layer(li);
    EXPECT_GT(l.z_k.numel(), 0) << li;
    // x_k is kept unless it is made from the previous layer's z_k.
    EXPECT_EQ(l.x_k.numel() > 0, !l.x_k_from_previous) << li;
    expected += l.x_k.bytes() + l.z_k.bytes();
  }
  EXPECT_EQ(resq.cache().bytes(), expected);
  EXPECT_TRUE(resq.cache().ready());
}

// Frame skipping runs the network on keyframes only (at the key bits) and repeats that output.
TEST(SkipScheme, RepeatsTheKeyframeOutputAtZeroCost) {
  Fixture& f = fixture();
  StreamSession skip(f.model, config("W8A8->skip", 3));
  StreamSession frame(f.model, config("W8A8"));
  Tensor key;
  for (size_t t = 0; t < 4; ++t) {
    Tensor out = skip.process(f.frames[t])[0];
    Tensor reference = frame.process(f.frames[t])[0];
    const FrameCost& c = skip.last_cost();
    EXPECT_EQ(c.keyframe, t % 3 == 0) << t;
    EXPECT_EQ(c.keyframe_distance, static_cast<int64_t>(t % 3)) << t;
    if (c.keyframe) {
      key = out;
      EXPECT_EQ(max_diff(out, reference), 0.0) << t;
      EXPECT_EQ(c.bops, frame.last_cost().bops) << t;
    } else {
      EXPECT_EQ(max_diff(out, key), 0.0) << t;
      EXPECT_EQ(c.bops, 0.0) << t;
      EXPECT_EQ(c.pixels_per_bits.at(0), f.model->total_pixels()) << t;
    }
  }
  // Only the outputs are kept: far less than ResQ's per-layer x_k and z_k.
  StreamSession resq(f.model, config("W8A8->W4A4", 3));
  resq.process(f.frames[0]);
  EXPECT_GT(skip.cache().bytes(), 0u);
  EXPECT_LT(skip.cache().bytes() * 10, resq.cache().bytes());
}

TEST(SkipScheme, Fp32KeyframesAreExact) {
  Fixture& f = fixture();
  StreamSession skip(f.model, config("fp32->skip", 2));
  Executor reference(f.graph);
  EXPECT_EQ(max_diff(skip.process(f.frames[0])[0], reference.run(f.frames[0])[0]), 0.0);
  EXPECT_EQ(skip.last_cost().bops, skip.last_cost().bops_fp32);
  EXPECT_EQ(skip.last_cost().pixels_per_bits.at(32), f.model->total_pixels());
}

// Inputs made on demand: only the frames the network runs ask for them; the frames skipping
// repeats do not (no decoding or preprocessing), and say so in their cost.
TEST(SkipScheme, RepeatedFramesNeedNoInputs) {
  Fixture& f = fixture();
  StreamSession lazy(f.model, config("fp32->skip", 3));
  StreamSession eager(f.model, config("fp32->skip", 3));
  std::vector<size_t> asked;
  for (size_t t = 0; t < 7; ++t) {
    const Tensor out = lazy.process([&]() -> std::span<const Tensor> {
      asked.push_back(t);
      return f.frames[t];
    })[0];
    EXPECT_EQ(max_diff(out, eager.process(f.frames[t])[0]), 0.0) << t;
    EXPECT_EQ(lazy.last_cost().repeated, t % 3 != 0) << t;
    EXPECT_EQ(lazy.last_cost().keyframe, t % 3 == 0) << t;
  }
  EXPECT_EQ(asked, (std::vector<size_t>{0, 3, 6}));
  // Every other scheme runs the network on every frame, and no frame of it is a repeat.
  StreamSession resq(f.model, config("W8A8->W4A4", 3));
  size_t calls = 0;
  for (size_t t = 0; t < 4; ++t) {
    resq.process([&]() -> std::span<const Tensor> { ++calls; return f.frames[t]; });
    EXPECT_FALSE(resq.last_cost().repeated) << t;
  }
  EXPECT_EQ(calls, 4u);
}

// ResQStream converts a frame to the model input only when the network runs: a frame that
// skipping repeats is not read (an empty image there is no error) and has the keyframe's mask.
TEST(SkipScheme, ResQStreamReadsOnlyTheFramesItRuns_n) {
  ResQStream s(acquire_model(std::string(RESQ_ASSET_DIR) + "/selfie_segmentation.tflite", ""),
               config("fp32->skip", 2), std::nullopt);
  s.process(cv::Mat(240, 320, CV_8UC3, cv::Scalar(40, 90, 160)));
  const Tensor key = s.mask();
  s.process(cv::Mat());
  EXPECT_TRUE(s.cost().repeated);
  EXPECT_EQ(max_diff(s.mask(), key), 0.0);
  EXPECT_THROW(s.process(cv::Mat()), ModelError);  // the next keyframe reads it
}

// A frame given as a function is made only when the network runs it (resq-server decodes no
// frame that skipping repeats), and gives the outputs the frame itself gives.
TEST(SkipScheme, ResQStreamMakesOnlyTheFramesItRuns) {
  auto model = acquire_model(std::string(RESQ_ASSET_DIR) + "/selfie_segmentation.tflite", "");
  ResQStream lazy(model, config("fp32->skip", 3), std::nullopt);
  ResQStream eager(model, config("fp32->skip", 3), std::nullopt);
  std::vector<int> made;
  for (int t = 0; t < 7; ++t) {
    const cv::Mat bgr(240, 320, CV_8UC3, cv::Scalar(40 + 20 * t, 90, 160));
    lazy.process([&] {
      made.push_back(t);
      return bgr;
    });
    eager.process(bgr);
    EXPECT_EQ(max_diff(lazy.mask(), eager.mask()), 0.0) << t;
  }
  EXPECT_EQ(made, (std::vector<int>{0, 3, 6}));
}

// Inputs that cannot be made (a frame that does not decode): the error reaches the caller and
// the stream carries on as if the frame had not come: the same keyframe schedule, a forced
// keyframe still due, the keyframe's state kept.
TEST(SkipScheme, InputsThatFailLeaveTheStreamAsItWas_n) {
  Fixture& f = fixture();
  StreamSession s(f.model, config("W8A8->W4A4", 3));
  StreamSession reference(f.model, config("W8A8->W4A4", 3));
  auto fails = []() -> std::span<const Tensor> { throw std::invalid_argument("frame: bad bytes"); };
  s.process(f.frames[0]);
  reference.process(f.frames[0]);
  EXPECT_THROW(s.process(fails), std::invalid_argument);
  for (size_t t = 1; t < 3; ++t) {  // residual frames at distances 1 and 2, as if none failed
    EXPECT_EQ(max_diff(s.process(f.frames[t])[0], reference.process(f.frames[t])[0]), 0.0) << t;
    EXPECT_EQ(s.last_cost().keyframe_distance, static_cast<int64_t>(t)) << t;
  }
  s.force_keyframe();
  EXPECT_THROW(s.process(fails), std::invalid_argument);
  s.process(f.frames[3]);
  EXPECT_TRUE(s.last_cost().keyframe);  // the forced keyframe was not lost with the failed frame
}

// A shortened first period (a server spreading the keyframes of streams that open together):
// keyframes at 0 and T - cut, then every T; distances count the frames since the keyframe; a
// cut of T or more leaves a period of one frame; a ResQ stream's residual frames equal an
// unshortened stream's at the same distance from the same keyframe.
TEST(KeyframeSchedule, ShortenedFirstPeriodThenEveryT) {
  Fixture& f = fixture();
  const std::vector<std::pair<int64_t, std::vector<size_t>>> cases = {
      {0, {0, 3, 6}}, {1, {0, 2, 5}}, {2, {0, 1, 4, 7}}, {5, {0, 1, 4, 7}}};
  for (const auto& [cut, expected] : cases) {
    StreamSession s(f.model, config("W8A8->skip", 3));
    s.shorten_next_period(cut);
    std::vector<size_t> keyframes;
    int64_t distance = 0;
    for (size_t t = 0; t < 8; ++t) {
      s.process(f.frames[t]);
      distance = s.last_cost().keyframe ? 0 : distance + 1;
      EXPECT_EQ(s.last_cost().keyframe_distance, distance) << "cut " << cut << " frame " << t;
      if (s.last_cost().keyframe) keyframes.push_back(t);
    }
    EXPECT_EQ(keyframes, expected) << "cut " << cut;
  }
  StreamSession cut(f.model, config("W8A8->W4A4", 3));
  StreamSession whole(f.model, config("W8A8->W4A4", 3));
  cut.shorten_next_period(1);
  for (size_t t = 0; t < 2; ++t)
    EXPECT_EQ(max_diff(cut.process(f.frames[t])[0], whole.process(f.frames[t])[0]), 0.0) << t;
  cut.process(f.frames[2]);
  EXPECT_TRUE(cut.last_cost().keyframe);
}

TEST(KeyframeSchedule, NegativeCut_n) {
  StreamSession s(fixture().model, config("W8A8->skip", 3));
  try {
    s.shorten_next_period(-1);
    ADD_FAILURE() << "a negative cut was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("-1 frames"), std::string::npos) << e.what();
  }
}

// The memory a stream reports (keyframe cache, its own activation buffers, scratch) and what the
// thread's shared buffers grew by is what it takes from the heap: for every scheme, after
// keyframes and residual frames, the heap grew by that plus at most 256 KB (the executor's
// plan, allocator headers), never by less.
TEST(StreamMemory, ReportedBytesAreTheStreamsHeap) {
  Fixture& f = fixture();
  auto heap = [] {
    const struct mallinfo2 m = mallinfo2();  // this thread allocates in the main arena
    return static_cast<int64_t>(m.uordblks + m.hblkhd);
  };
  const std::vector<std::pair<std::string, bool>> cases = {  // bits, change tracking
      {"W8A8->W8A{0,4,8}", false}, {"W8A8->W8A{0,4,8}", true}, {"W8A8->W4A4", false},
      {"W8A8", false},             {"fp32", false},            {"fp32->skip", false}};
  for (const auto& [bits, tracking] : cases) {
    const std::string name = bits + (tracking ? " tracking" : "");
    const int64_t before = heap(), shared_before = ValueBuffers::thread_bytes();
    auto s = std::make_unique<StreamSession>(f.model, config(bits, 3));
    s->set_change_tracking(tracking);
    for (size_t t = 0; t < 6; ++t) s->process(f.frames[t]);
    const int64_t grown = heap() - before;
    // The thread's shared buffers (ValueBuffers) grow with the first stream of a model only.
    const int64_t shared = ValueBuffers::thread_bytes() - shared_before;
    const auto cache = static_cast<int64_t>(s->cache().bytes());
    const int64_t reported = cache + s->buffer_bytes() + s->scratch_bytes() + shared;
    std::printf("%s: heap grew %.2f MB; cache %.2f, own buffers %.2f, thread's buffers %.2f, "
                "scratch %.2f MB\n",
                name.c_str(), static_cast<double>(grown) / 1e6, static_cast<double>(cache) / 1e6,
                static_cast<double>(s->buffer_bytes()) / 1e6, static_cast<double>(shared) / 1e6,
                static_cast<double>(s->scratch_bytes()) / 1e6);
    EXPECT_LE(reported, grown) << name;
    EXPECT_LE(grown - reported, 256 * 1024) << name;
    if (bits != "fp32" && bits != "fp32->skip") {
      EXPECT_GT(s->scratch_bytes(), 0) << name;  // the quantized layers' work buffers
    }
  }
}

// fp32 frames run without a LinearLayerRunner (the executor fuses the element-wise nodes into
// the convs), and their cost is still every layer at 32 x 32 bits.
TEST(StreamSession, Fp32FramesEqualTheExecutorAndCostFp32) {
  Fixture& f = fixture();
  StreamSession fp32(f.model, config("fp32", 1));
  fp32.record_bit_map(3);
  Executor reference(f.graph);
  for (size_t t = 0; t < 2; ++t) {
    EXPECT_EQ(max_diff(fp32.process(f.frames[t])[0], reference.run(f.frames[t])[0]), 0.0);
    const FrameCost& cost = fp32.last_cost();
    EXPECT_EQ(cost.bops, cost.bops_fp32);
    EXPECT_EQ(cost.pixels_per_bits.at(32), f.model->total_pixels());
    EXPECT_EQ(cost.pixels_per_bits.size(), 1u);
    EXPECT_EQ(std::count(fp32.bit_map().begin(), fp32.bit_map().end(), 32),
              static_cast<long>(fp32.bit_map().size()));
    EXPECT_FALSE(fp32.bit_map().empty());
  }
}

TEST(StreamSession, PixelsPerBitsCoverEveryLayerInput) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 2));
  resq.process(f.frames[0]);
  EXPECT_EQ(resq.last_cost().pixels_per_bits.at(8), f.model->total_pixels());
  resq.process(f.frames[1]);
  EXPECT_EQ(resq.last_cost().pixels_per_bits.at(4), f.model->total_pixels());
  EXPECT_EQ(resq.last_cost().pixels_per_bits.size(), 1u);
}

TEST(StreamSession, BitMapShowsEachPixelsBits) {
  Fixture& f = fixture();
  StreamConfig c = config("W8A8->W8A{0,4,8}", 4);
  c.tau = 1e30;  // every residual pixel at the lowest pool entry
  StreamSession dyn(f.model, c);
  EXPECT_THROW(dyn.record_bit_map(f.model->linear_nodes().size()), std::out_of_range);
  dyn.record_bit_map(3);
  const auto pixels = static_cast<size_t>(f.model->pixels(3).pixels());
  dyn.process(f.frames[0]);
  ASSERT_EQ(dyn.bit_map().size(), pixels);
  EXPECT_EQ(std::count(dyn.bit_map().begin(), dyn.bit_map().end(), 8), static_cast<long>(pixels));
  dyn.process(f.frames[1]);
  EXPECT_EQ(std::count(dyn.bit_map().begin(), dyn.bit_map().end(), 0), static_cast<long>(pixels));
  c.tau = 0;
  dyn.set_config(c);
  dyn.process(f.frames[2]);
  EXPECT_GT(std::count(dyn.bit_map().begin(), dyn.bit_map().end(), 8), 0);
  dyn.record_bit_map(std::nullopt);
  dyn.process(f.frames[3]);
  EXPECT_TRUE(dyn.bit_map().empty());
}

TEST(StreamSession, UncalibratedRunsFp32AndRejectsQuantizedBits_n) {
  Fixture& f = fixture();
  const Calibration none = uncalibrated(*f.graph);
  auto model = std::make_shared<QuantizedModel>(f.graph, none, WeightGranularity::kPerChannel);
  StreamSession fp32(model, config("fp32"));
  Executor reference(f.graph);
  EXPECT_EQ(max_diff(fp32.process(f.frames[0])[0], reference.run(f.frames[0])[0]), 0.0);
  StreamSession skip(model, config("fp32->skip", 2));
  skip.process(f.frames[0]);
  skip.process(f.frames[1]);
  EXPECT_EQ(skip.last_cost().bops, 0.0);
  try {
    StreamSession quantized(model, config("W8A8"));
    ADD_FAILURE() << "W8A8 accepted without ranges";
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("no calibrated"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fp32.set_config(config("W8A8->W4A4")), std::out_of_range);
}

TEST(StreamSession, BadConfig_n) {
  Fixture& f = fixture();
  EXPECT_THROW(StreamSession(f.model, config("W8A8->W4A4", 0)), std::invalid_argument);
  EXPECT_THROW(StreamSession(f.model, config("W8A8->W3A3")), std::out_of_range);  // not calibrated
  EXPECT_THROW(StreamSession(f.model, config("W6A6")), std::out_of_range);
}

TEST(StreamSession, CalibrationOfAnotherModel_n) {
  Fixture& f = fixture();
  Calibration other = f.calibration;
  other.layers.pop_back();
  EXPECT_THROW(QuantizedModel(f.graph, other, WeightGranularity::kPerChannel), ModelError);
  other = f.calibration;
  other.layers[3].node = "not_this_model";
  EXPECT_THROW(QuantizedModel(f.graph, other, WeightGranularity::kPerChannel), ModelError);
  other = f.calibration;
  other.model_fingerprint ^= 1;
  EXPECT_THROW(QuantizedModel(f.graph, other, WeightGranularity::kPerChannel), ModelError);
}

TEST(StreamSession, WrongInputKeepsTheSessionUsable_n) {
  Fixture& f = fixture();
  StreamSession resq(f.model, config("W8A8->W4A4", 4));
  resq.process(f.frames[0]);
  std::vector<Tensor> bad = {Tensor({1, 128, 128, 3})};
  EXPECT_THROW(resq.process(bad), ModelError);
  resq.process(f.frames[1]);
  EXPECT_TRUE(resq.last_cost().keyframe);  // state was dropped: a fresh keyframe
}

TEST(DynamicResQ, PoolOfZeroBitsRepeatsTheKeyframe) {
  Fixture& f = fixture();
  StreamConfig c = config("W8A8->W8A{0}", 4);
  StreamSession dyn(f.model, c);
  Tensor key = dyn.process(f.frames[0])[0];
  Tensor next = dyn.process(f.frames[1])[0];
  EXPECT_EQ(max_diff(key, next), 0.0);
  EXPECT_GT(dyn.last_cost().pixels_per_bits.at(0), 0);
  EXPECT_EQ(dyn.last_cost().pixels_per_bits.count(8), 0u);
  EXPECT_EQ(dyn.last_cost().bops, dyn.last_cost().policy_bops);  // no MAC runs at 0 bits
}

// With tau = 0 a pixel takes the top entry exactly when it represents its residual better than
// nothing, so the quantized residual - and the output - equal static ResQ at those bits: 8 (the
// integer path) and near float (the float path, which sends the residual whole).
TEST(DynamicResQ, TauZeroEqualsStaticTopEntry) {
  Fixture& f = fixture();
  for (const auto& [pool, top, bits] : {std::tuple{"W8A8->W8A{0,8}", "W8A8->W8A8", 8},
                                        std::tuple{"W8A8->W8A{0,32}", "W8A8->W8A32", 32}}) {
    StreamConfig c = config(pool, 4);
    c.tau = 0;
    StreamSession dyn(f.model, c);
    StreamSession stat(f.model, config(top, 4));
    for (size_t t = 0; t < 3; ++t)
      EXPECT_EQ(max_diff(dyn.process(f.frames[t])[0], stat.process(f.frames[t])[0]), 0.0)
          << pool << " frame " << t;
    const auto& px = dyn.last_cost().pixels_per_bits;
    EXPECT_GT(px.at(bits), 0) << pool;
    EXPECT_LE(dyn.last_cost().bops - dyn.last_cost().policy_bops, stat.last_cost().bops) << pool;
  }
}

TEST(DynamicResQ, LargerTauSkipsMorePixels) {
  Fixture& f = fixture();
  int64_t previous_zero = -1;
  for (double tau : {0.0, 1.0, 10.0, 1e9}) {
    StreamConfig c = config("W8A8->W8A{0,4,8}", 4);
    c.tau = tau;
    StreamSession dyn(f.model, c);
    dyn.process(f.frames[0]);
    dyn.process(f.frames[1]);
    const auto& px = dyn.last_cost().pixels_per_bits;
    int64_t zero = px.count(0) ? px.at(0) : 0;
    EXPECT_GE(zero, previous_zero) << "tau " << tau;
    previous_zero = zero;
  }
  EXPECT_GT(previous_zero, 0);
}

// A near-float pool entry takes the float path, where a candidate that stays at 0 bits (its
// residual's bound is above tau, but 4 bits would not reduce it by tau) read levels the policy
// never keeps for 0 bits: a segfault. Such pixels send nothing; the output stays next to the
// same pool with 8 bits in place of float (mean |difference| 0.004-0.008 on these frames).
TEST(DynamicResQ, NearFloatEntryBesideZeroBits) {
  Fixture& f = fixture();
  StreamSession near_float(f.model, config("W8A8->W8A{0,4,32}", 4));
  StreamSession eight(f.model, config("W8A8->W8A{0,4,8}", 4));
  for (size_t t = 0; t < 3; ++t) {
    const Tensor a = near_float.process(f.frames[t])[0], b = eight.process(f.frames[t])[0];
    double sum = 0;
    for (int64_t i = 0; i < a.numel(); ++i) sum += std::fabs(a.f32()[i] - b.f32()[i]);
    EXPECT_LT(sum / static_cast<double>(a.numel()), 0.02) << t;
  }
  const auto& px = near_float.last_cost().pixels_per_bits;
  EXPECT_GT(px.at(0), 0);
  EXPECT_GT(px.count(4) ? px.at(4) : 0, 0);  // some candidates stay below float
}

TEST(DynamicResQ, BopsOfUniformChoiceMatchStaticFormula) {
  // A huge tau keeps every pixel at the lowest pool entry: per-pixel attribution must then sum
  // to MACs x b_w x b_a exactly (the shares of every layer add up to 1).
  Fixture& f = fixture();
  StreamConfig c = config("W8A8->W8A{4,8}", 4);
  c.tau = 1e30;
  StreamSession dyn(f.model, c);
  dyn.process(f.frames[0]);
  dyn.process(f.frames[1]);
  const double macs = static_cast<double>(f.model->total_macs());
  EXPECT_NEAR(dyn.last_cost().bops - dyn.last_cost().policy_bops, macs * 8 * 4, macs * 1e-9);
  EXPECT_EQ(dyn.last_cost().pixels_per_bits.count(8), 0u);
}

TEST(LiveConfig, ForcedKeyframeOnTheNextFrame) {
  Fixture& f = fixture();
  StreamSession s(f.model, config("W8A8->W4A4", 8));
  s.process(f.frames[0]);
  s.process(f.frames[1]);
  s.force_keyframe();
  s.process(f.frames[2]);
  EXPECT_TRUE(s.last_cost().keyframe);
  s.process(f.frames[3]);
  EXPECT_FALSE(s.last_cost().keyframe);
}

TEST(LiveConfig, ResidualBitsApplyFromTheNextFrame) {
  Fixture& f = fixture();
  const double macs = static_cast<double>(f.model->total_macs());
  StreamSession s(f.model, config("W8A8->W4A4", 8));
  s.process(f.frames[0]);
  s.process(f.frames[1]);
  EXPECT_EQ(s.last_cost().bops, macs * 4 * 4);
  s.set_config(config("W8A8->W8A8", 8));
  s.process(f.frames[2]);
  EXPECT_FALSE(s.last_cost().keyframe);
  EXPECT_EQ(s.last_cost().bops, macs * 8 * 8);
}

TEST(LiveConfig, KeyframeIntervalAppliesFromTheNextFrame) {
  Fixture& f = fixture();
  StreamSession s(f.model, config("W8A8->W4A4", 8));
  std::vector<bool> keyframes;
  for (size_t t = 0; t < 3; ++t) {
    s.process(f.frames[t]);
    keyframes.push_back(s.last_cost().keyframe);
  }
  s.set_config(config("W8A8->W4A4", 2));  // 3 frames since the keyframe: due at once
  for (size_t t = 3; t < 7; ++t) {
    s.process(f.frames[t % f.frames.size()]);
    keyframes.push_back(s.last_cost().keyframe);
  }
  s.set_config(config("W8A8->W4A4", 4));  // 2 frames since the keyframe: 2 more residual frames
  for (size_t t = 7; t < 12; ++t) {
    s.process(f.frames[t % f.frames.size()]);
    keyframes.push_back(s.last_cost().keyframe);
  }
  EXPECT_EQ(keyframes, (std::vector<bool>{true, false, false, true, false, true, false, false,
                                          false, true, false, false}));
}

TEST(LiveConfig, InvalidValuesKeepTheOldConfig_n) {
  Fixture& f = fixture();
  StreamSession s(f.model, config("W8A8->W4A4", 4));
  StreamConfig bad_t = config("W8A8->W4A4", 0);
  EXPECT_THROW(s.set_config(bad_t), std::invalid_argument);
  StreamConfig bad_tau = config("W8A8->W8A{0,4,8}", 4);
  bad_tau.tau = -1;
  EXPECT_THROW(s.set_config(bad_tau), std::invalid_argument);
  StreamConfig empty_pool = config("W8A8->W4A4", 4);
  empty_pool.bits.res_a_pool.clear();
  EXPECT_THROW(s.set_config(empty_pool), std::invalid_argument);
  EXPECT_THROW(s.set_config(config("W8A8->W3A3", 4)), std::out_of_range);  // not calibrated
  EXPECT_EQ(s.config().bits.to_string(), "W8A8->W4A4");
  EXPECT_EQ(s.config().period, 4);
}

TEST(LiveConfig, ChangesFromAnotherThreadWhileFramesRun) {
  Fixture& f = fixture();
  const double macs = static_cast<double>(f.model->total_macs());
  StreamSession s(f.model, config("W8A8->W4A4", 3));
  std::atomic<bool> done = false;
  std::thread control([&] {
    for (int i = 0; !done; ++i) {
      s.set_config(config(i % 2 ? "W8A8->W8A8" : "W8A8->W4A4", 3));
      if (i % 7 == 0) s.force_keyframe();
      std::this_thread::yield();
    }
  });
  for (size_t t = 0; t < 24; ++t) {
    s.process(f.frames[t % f.frames.size()]);
    const double bops = s.last_cost().bops;
    // Each frame ran under one whole config: a keyframe, or all residual layers at 4 or 8 bits.
    EXPECT_TRUE(bops == macs * 64 || bops == macs * 16) << "frame " << t << ": " << bops;
  }
  done = true;
  control.join();
}

// Every stream of a model shares its graph and quantized weights (each has its own executor):
// streams on different threads at once must get exactly what they get one at a time.
TEST(SharedModel, ConcurrentStreamsMatchSequentialRuns) {
  Fixture& f = fixture();
  const size_t n = std::min<size_t>(f.frames.size(), 6);
  auto run = [&](const std::string& bits, std::vector<Tensor>* outputs) {
    StreamSession s(f.model, config(bits, 3));
    for (size_t t = 0; t < n; ++t) outputs->push_back(s.process(f.frames[t])[0]);
  };
  const std::vector<std::string> schemes = {"fp32", "W8A8->W8A{0,4,8}"};
  std::vector<std::vector<Tensor>> sequential(schemes.size()), concurrent(schemes.size());
  for (size_t i = 0; i < schemes.size(); ++i) run(schemes[i], &sequential[i]);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < schemes.size(); ++i) {
      concurrent[i].clear();
      threads.emplace_back(run, schemes[i], &concurrent[i]);
    }
    for (std::thread& t : threads) t.join();
    for (size_t i = 0; i < schemes.size(); ++i)
      for (size_t t = 0; t < n; ++t)
        ASSERT_EQ(std::memcmp(concurrent[i][t].f32(), sequential[i][t].f32(),
                              sizeof(float) * static_cast<size_t>(sequential[i][t].numel())),
                  0)
            << schemes[i] << " frame " << t << " round " << round;
  }
}

// Runs frame t through both sessions and checks the outputs are the same bit for bit.
void expect_same_frame(StreamSession& got_session, StreamSession& want_session, size_t t,
                       const std::string& what) {
  Fixture& f = fixture();
  const Tensor got = got_session.process(f.frames[t])[0];
  const Tensor want = want_session.process(f.frames[t])[0];
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_EQ(std::memcmp(got.f32(), want.f32(), sizeof(float) * static_cast<size_t>(got.numel())), 0)
      << what << ", frame " << t << ": outputs differ by up to " << max_diff(got, want);
}

// Dynamic-ResQ's sparse convolutions (gathered receptive fields, scattered outputs; 1x1 convs on
// the group's pixels only; the model's 2x2-stride-2 ConvTranspose tile by tile) give what dense
// sums over each group's image give, bit for bit.
TEST(DynamicResQ, SparseResidualsEqualDenseSums) {
  const QuantizedModel& model = *fixture().model;
  int tiled = 0;
  for (size_t li = 0; li < model.linear_nodes().size(); ++li) tiled += model.transpose_tile(li) != nullptr;
  EXPECT_EQ(tiled, 1);  // "segment"
  for (double tau : {3.0, 0.5, 30.0})
    for (bool integer : {true, false}) {
      StreamConfig c = config("W8A8->W8A{0,4,8}", 4);
      c.tau = tau;
      StreamSession sparse(fixture().model, c), dense(fixture().model, c);
      dense.set_sparse_residuals(false);
      sparse.set_integer_kernels(integer);
      dense.set_integer_kernels(integer);
      for (size_t t = 0; t < 6; ++t)
        expect_same_frame(sparse, dense, t, "tau " + std::to_string(tau) + (integer ? " int" : " float sums"));
    }
}

// `derived` made more than 10 layers' x_k from the previous layer's z_k, and keeps less than
// `kept`, which kept every x_k.
void expect_fewer_inputs_kept(const StreamSession& derived, const StreamSession& kept,
                              const std::string& what) {
  size_t without_x_k = 0;
  for (size_t li = 0; li < derived.cache().size(); ++li)
    without_x_k += derived.cache().layer(li).x_k_from_previous;
  EXPECT_GT(without_x_k, 10u) << what;
  EXPECT_LT(derived.cache().bytes(), kept.cache().bytes()) << what;
}

// A Dynamic-ResQ keyframe that keeps no x_k where the previous layer's z_k through its fused
// activation is x_k gives the outputs of keeping every x_k, bit for bit, with less memory; the
// pools take the policy's float and double sums, the integer and the float (near float) paths,
// and change tracking reads the same derived x_k in spans.
TEST(DynamicResQ, KeyframeInputsFromOutputsGiveTheSameOutputs) {
  for (const char* bits : {"W8A8->W8A{0,4,8}", "W8A8->W8A{0,32}", "W8A8->W8A{4,8}"})
    for (double tau : {0.0, 3.0})
      for (bool tracking : {false, true}) {
        StreamConfig c = config(bits, 3);
        c.tau = tau;
        StreamSession derived(fixture().model, c), kept(fixture().model, c);
        derived.set_change_tracking(tracking);
        kept.set_keyframe_inputs_from_outputs(false);
        for (size_t t = 0; t < 6; ++t)
          expect_same_frame(derived, kept, t,
                            std::string(bits) + " tau " + std::to_string(tau) +
                                (tracking ? " tracking" : ""));
        expect_fewer_inputs_kept(derived, kept, bits);
      }
}

// The same for ResQ, whose kernels read x_k whole: made from the previous layer's z_k into a
// buffer, in the integer kernels (which map x_t - x_k to levels as they read), the float sums of
// the same levels and the near-float residual.
TEST(ResQ, KeyframeInputsFromOutputsGiveTheSameOutputs) {
  for (const char* bits : {"W8A8->W4A4", "W8A8->W8A8", "W8A8->W8A32"})
    for (bool integer : {true, false}) {
      StreamSession derived(fixture().model, config(bits, 3)), kept(fixture().model, config(bits, 3));
      derived.set_integer_kernels(integer);
      kept.set_integer_kernels(integer);
      kept.set_keyframe_inputs_from_outputs(false);
      for (size_t t = 0; t < 6; ++t)
        expect_same_frame(derived, kept, t, std::string(bits) + (integer ? " int" : " float sums"));
      expect_fewer_inputs_kept(derived, kept, bits);
    }
}

// Change tracking: each layer's policy reads only the input pixels that may differ from the
// keyframe's and writes only the outputs that may, and the outputs stay those of computing
// everything, bit for bit. On this clip it reads less than all of them.
TEST(DynamicResQ, ChangeTrackingGivesTheSameOutputs) {
  for (double tau : {3.0, 0.5, 30.0}) {
    StreamConfig c = config("W8A8->W8A{0,4,8}", 6);
    c.tau = tau;
    StreamSession tracked(fixture().model, c), untracked(fixture().model, c);
    tracked.set_change_tracking(true);
    for (size_t t = 0; t < 6; ++t) {
      expect_same_frame(tracked, untracked, t, "tau " + std::to_string(tau));
      const int64_t all = fixture().model->total_pixels();
      EXPECT_EQ(untracked.last_cost().pixels_read, t == 0 ? 0 : all);
      if (t > 0) {
        EXPECT_LT(tracked.last_cost().pixels_read, all) << "tau " << tau << " frame " << t;
      }
    }
  }
}

// With sparse residuals off, tracked frames take the dense paths too (here the ConvTranspose
// "segment", which then sums every output) and still give the untracked outputs.
TEST(DynamicResQ, ChangeTrackingWithDenseSums) {
  StreamConfig c = config("W8A8->W8A{0,4,8}", 6);
  StreamSession tracked(fixture().model, c), untracked(fixture().model, c);
  tracked.set_change_tracking(true);
  tracked.set_sparse_residuals(false);
  untracked.set_sparse_residuals(false);
  for (size_t t = 0; t < 6; ++t) expect_same_frame(tracked, untracked, t, "dense sums");
}

// Residual frames write only the pixels that may differ from the keyframe's and restore those
// the frame before changed: a frame that moves, then the keyframe's own image again, then frames
// with and without a 0-bit entry (untracked frames in between) give the untracked outputs.
TEST(DynamicResQ, ChangeTrackingRestoresWhatTheLastFrameChanged) {
  StreamConfig c = config("W8A8->W8A{0,4,8}", 20);
  StreamSession tracked(fixture().model, c), untracked(fixture().model, c);
  tracked.set_change_tracking(true);
  for (size_t t : {0, 7, 0, 3, 3, 0, 5}) expect_same_frame(tracked, untracked, t, "moved");
  StreamConfig no_zero = config("W8A8->W8A{4,8}", 20);
  tracked.set_config(no_zero);
  untracked.set_config(no_zero);
  expect_same_frame(tracked, untracked, 6, "no 0-bit entry");
  tracked.set_config(c);
  untracked.set_config(c);
  for (size_t t : {2, 0, 7}) expect_same_frame(tracked, untracked, t, "0-bit entry again");
  EXPECT_FALSE(tracked.last_cost().keyframe);
}

// With a pool of 0 bits only, no layer's output changes: after the first layer the policy reads
// nothing at all.
TEST(DynamicResQ, ChangeTrackingReadsNothingAfterZeroBitLayers) {
  StreamSession s(fixture().model, config("W8A8->W8A{0}", 4));
  s.set_change_tracking(true);
  s.process(fixture().frames[0]);
  s.process(fixture().frames[1]);
  EXPECT_EQ(s.last_cost().pixels_read, fixture().model->pixels(0).pixels());
}

// The phases of a residual frame (FrameCost::phases_ms) are timed only with node timing on, only
// on Dynamic-ResQ residual frames, and add up to less than the frame.
TEST(DynamicResQ, ResidualPhasesTimedWithNodeTiming) {
  auto total = [](const FrameCost::Phases& p) {
    return p.policy_read + p.policy_test + p.policy_gather + p.policy_quantize + p.policy_choose +
           p.tracking + p.start + p.sums + p.epilogue;
  };
  StreamSession s(fixture().model, config("W8A8->W8A{0,4,8}", 4));
  s.process(fixture().frames[0]);
  s.process(fixture().frames[1]);
  EXPECT_EQ(total(s.last_cost().phases_ms), 0.0);  // timing off
  s.set_node_timing(true);
  s.process(fixture().frames[2]);
  const FrameCost& c = s.last_cost();
  EXPECT_GT(c.phases_ms.policy_read, 0.0);
  EXPECT_GT(c.phases_ms.sums, 0.0);
  EXPECT_GT(c.phases_ms.start, 0.0);
  EXPECT_EQ(c.phases_ms.tracking, 0.0);  // tracking off: no masks
  EXPECT_LT(total(c.phases_ms), c.latency_ms);
  s.force_keyframe();
  s.process(fixture().frames[3]);
  EXPECT_EQ(total(s.last_cost().phases_ms), 0.0);  // a keyframe
  StreamSession resq(fixture().model, config("W8A8->W4A4", 4));
  resq.set_node_timing(true);
  resq.process(fixture().frames[0]);
  resq.process(fixture().frames[1]);
  EXPECT_EQ(total(resq.last_cost().phases_ms), 0.0);  // not Dynamic-ResQ
}

// Issue #7, integer execution: keyframe and residual convolutions computed in int32 give the
// float simulation's outputs bit for bit, and the integer kernels really ran.
TEST(IntegerKernels, SameOutputsAsTheFloatSimulation) {
  Fixture& f = fixture();
  // Group-1 convs and the ConvTranspose ("segment"); depthwise convs sum in float on levels
  // (exact too).
  const QuantizedModel& model = *f.model;
  int kernels = 0, transposed = 0;
  for (size_t li = 0; li < model.linear_nodes().size(); ++li) {
    if (!model.has_integer_form(li) || !model.weight_levels(li, 8).conv) continue;
    ++kernels;
    transposed += model.graph()->nodes[model.linear_nodes()[li]].op_type == "ConvTranspose";
  }
  EXPECT_GE(kernels, 20);
  EXPECT_EQ(transposed, 1);
  for (const char* bits : {"W8A8", "W4A4", "W8A8->W4A4", "W8A8->W8A{0,4,8}"}) {
    StreamSession integer(f.model, config(bits, 3)), simulated(f.model, config(bits, 3));
    simulated.set_integer_kernels(false);
    for (size_t t = 0; t < 6; ++t) {
      expect_same_frame(integer, simulated, t, bits);
      EXPECT_EQ(simulated.last_cost().integer_layers, 0);
      if (std::string(bits) == "W8A8" || t % 3 == 0)  // frame quantization and keyframes
        EXPECT_EQ(integer.last_cost().integer_layers, kernels) << bits << ", frame " << t;
      else
        EXPECT_GE(integer.last_cost().integer_layers, 20) << bits << ", frame " << t;
    }
  }
}

// The skip-adds and activations a quantized layer applies while its output is in cache (with
// z_k kept before them on keyframes) give what the executor's own nodes give, bit for bit, with
// the integer kernels and with the float sums.
TEST(FusedEpilogues, SameOutputsAsTheUnfusedNodes) {
  Fixture& f = fixture();
  for (const char* bits : {"W8A8", "W4A4", "W8A8->W4A4", "W8A8->W8A{0,4,8}", "W8A8->W32A32"})
    for (bool integer : {true, false}) {
      StreamSession fused(f.model, config(bits, 3)), unfused(f.model, config(bits, 3));
      unfused.set_fused_epilogues(false);
      fused.set_integer_kernels(integer);
      unfused.set_integer_kernels(integer);
      for (size_t t = 0; t < 6; ++t)
        expect_same_frame(fused, unfused, t, std::string(bits) + (integer ? " int" : " float sums"));
    }
}

}  // namespace
}  // namespace resq

