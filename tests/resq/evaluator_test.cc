// `resq eval`'s measurements on the real default model: the fp32 configuration against the fp32
// reference is exact, costs follow the bit-widths, and the per-distance and per-bit tallies add up.
#include "engine/eval/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "tests/resq/scheme_fixture.h"

namespace resq {
namespace {

const std::vector<Tensor>& reference() {
  static const std::vector<Tensor> outputs = [] {
    Executor fp32(fixture().graph);
    std::vector<Tensor> r;
    for (const auto& inputs : fixture().frames) r.push_back(fp32.run(inputs).at(0));
    return r;
  }();
  return outputs;
}

std::map<std::string, EvalResult> run_grid(const char* grid) {
  std::map<std::string, EvalResult> results;
  for (const EvalConfig& c : parse_grid(grid, "test grid"))
    results[c.label()] = evaluate(fixture().model, c, fixture().frames, reference(), {});
  return results;
}

const std::map<std::string, EvalResult>& results() {
  static const auto r = run_grid(R"(fp32
W8A8
W8A4
W4A8
W4A4
W8A8->W4A4 T=2,4
W8A8->W8A{0,4,8} T=4 tau=0,1e30
W8A8->skip T=2,4
fp32->skip T=4
)");
  return r;
}

TEST(Evaluator, Fp32AgainstItselfIsExact) {
  const EvalResult& r = results().at("fp32");
  EXPECT_EQ(r.frames, 8);
  EXPECT_EQ(r.iou_mean, 1.0);
  EXPECT_EQ(r.iou_min, 1.0);
  EXPECT_EQ(r.mean_abs, 0.0);
  EXPECT_TRUE(std::isinf(r.sqnr_db) && r.sqnr_db > 0);
  EXPECT_DOUBLE_EQ(r.gbops, r.gbops_fp32);
  EXPECT_DOUBLE_EQ(r.gbops_fp32, 59215744.0 * 32 * 32 / 1e9);
  EXPECT_EQ(r.pixel_fraction, (std::map<int, double>{{32, 1.0}}));
}

TEST(Evaluator, CostFollowsBitWidths) {
  const auto& r = results();
  const double w8a8 = r.at("W8A8").gbops;
  EXPECT_DOUBLE_EQ(w8a8, r.at("W8A8").gbops_w8a8);
  EXPECT_DOUBLE_EQ(r.at("W8A4").gbops, w8a8 / 2);
  EXPECT_DOUBLE_EQ(r.at("W4A8").gbops, w8a8 / 2);
  EXPECT_DOUBLE_EQ(r.at("W4A4").gbops, w8a8 / 4);
  // ResQ W8A8->W4A4: (64 + (T-1) x 16) / T of W8A8's 64 per MAC, over 8 frames.
  EXPECT_DOUBLE_EQ(r.at("W8A8->W4A4 T=2").gbops, w8a8 * (64 + 16) / 2 / 64);
  EXPECT_DOUBLE_EQ(r.at("W8A8->W4A4 T=4").gbops, w8a8 * (64 + 3 * 16) / 4 / 64);
  EXPECT_DOUBLE_EQ(r.at("W8A8->skip T=2").gbops, w8a8 / 2);
  EXPECT_DOUBLE_EQ(r.at("W8A8->skip T=4").gbops, w8a8 / 4);
  EXPECT_DOUBLE_EQ(r.at("fp32->skip T=4").gbops, r.at("fp32").gbops / 4);
  // Dynamic-ResQ: a huge tau keeps every residual pixel at 0 bits; tau 0 uses more bits.
  const EvalResult& none = r.at("W8A8->W8A{0,4,8} T=4 tau=1e+30");
  const EvalResult& all = r.at("W8A8->W8A{0,4,8} T=4 tau=0");
  EXPECT_DOUBLE_EQ(none.gbops - none.policy_gbops, w8a8 / 4);
  EXPECT_GT(all.gbops - all.policy_gbops, none.gbops - none.policy_gbops);
  EXPECT_EQ(none.residual_pixel_fraction, (std::map<int, double>{{0, 1.0}}));
}

TEST(Evaluator, AccuracyFollowsBitWidths) {
  const auto& r = results();
  EXPECT_LT(r.at("W8A8").iou_mean, 1.0);
  EXPECT_GT(r.at("W8A8").iou_mean, 0.5);
  EXPECT_GT(r.at("W8A8").sqnr_db, r.at("W4A4").sqnr_db);
  EXPECT_GT(r.at("W8A8").iou_mean, r.at("W4A4").iou_mean);
  EXPECT_LT(r.at("W8A8").mean_abs, r.at("W4A4").mean_abs);
  // Skipping with fp32 keyframes is exact on keyframes only.
  const EvalResult& skip = r.at("fp32->skip T=4");
  ASSERT_EQ(skip.by_distance.size(), 4u);
  EXPECT_EQ(skip.by_distance[0].iou_mean, 1.0);
  EXPECT_LT(skip.by_distance[3].iou_mean, 1.0);
}

TEST(Evaluator, TalliesAddUp) {
  for (const auto& [label, r] : results()) {
    double share = 0;
    for (const auto& [bits, s] : r.pixel_fraction) share += s;
    EXPECT_NEAR(share, 1.0, 1e-12) << label;
    int64_t frames = 0;
    double iou = 0;
    for (const DistanceAccuracy& d : r.by_distance) {
      frames += d.frames;
      iou += d.iou_mean * static_cast<double>(d.frames);
    }
    EXPECT_EQ(frames, r.frames) << label;
    EXPECT_NEAR(iou / static_cast<double>(frames), r.iou_mean, 1e-12) << label;
    const int period = r.config.stream.period;
    EXPECT_EQ(r.keyframes, r.config.has_period() ? (8 + period - 1) / period : 0) << label;
  }
  EXPECT_EQ(results().at("W8A8->W4A4 T=4").by_distance.size(), 4u);
  EXPECT_EQ(results().at("W8A8").by_distance.size(), 1u);
}

TEST(Evaluator, ReferenceOfAnotherLength_n) {
  const EvalConfig c = parse_grid("W8A8", "g").front();
  std::vector<Tensor> short_reference(reference().begin(), reference().begin() + 3);
  EXPECT_THROW(evaluate(fixture().model, c, fixture().frames, short_reference, {}),
               std::invalid_argument);
  EXPECT_THROW(evaluate(fixture().model, c, fixture().frames, reference(), {.output = 3}),
               std::invalid_argument);
}

}  // namespace
}  // namespace resq
