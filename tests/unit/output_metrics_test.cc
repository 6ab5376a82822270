#include "engine/eval/output_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace resq {
namespace {

TEST(OutputMetrics, IouOfKnownMasks) {
  //                        mask p:   1    1    0    0    1
  //                        mask ref: 1    0    0    1    1
  const std::vector<float> p{0.9f, 0.6f, 0.1f, 0.4f, 0.7f};
  const std::vector<float> ref{0.8f, 0.2f, 0.0f, 0.9f, 0.6f};
  const OutputComparison c = compare_outputs(p, ref, 0.5f);
  EXPECT_DOUBLE_EQ(c.iou, 2.0 / 4.0);
  EXPECT_NEAR(c.mean_abs, (0.1 + 0.4 + 0.1 + 0.5 + 0.1) / 5, 1e-7);
  EXPECT_NEAR(c.error, 0.01 + 0.16 + 0.01 + 0.25 + 0.01, 1e-6);
  EXPECT_NEAR(c.signal, 0.64 + 0.04 + 0.81 + 0.36, 1e-6);
}

TEST(OutputMetrics, ThresholdIsStrict) {
  const std::vector<float> p{0.5f}, ref{0.6f};
  EXPECT_EQ(compare_outputs(p, ref, 0.5f).iou, 0.0);  // 0.5 is not above 0.5
}

TEST(OutputMetrics, BothMasksEmptyIsPerfect) {
  const std::vector<float> p{0.1f, 0.2f}, ref{0.3f, 0.0f};
  EXPECT_EQ(compare_outputs(p, ref, 0.5f).iou, 1.0);
}

TEST(OutputMetrics, Sqnr) {
  EXPECT_DOUBLE_EQ(sqnr_db(100.0, 1.0), 20.0);
  EXPECT_DOUBLE_EQ(sqnr_db(1.0, 1.0), 0.0);
  EXPECT_TRUE(std::isinf(sqnr_db(1.0, 0.0)));
  const std::vector<float> same{0.3f, 0.9f};
  const OutputComparison c = compare_outputs(same, same, 0.5f);
  EXPECT_EQ(c.error, 0.0);
  EXPECT_EQ(c.iou, 1.0);
}

TEST(OutputMetrics, SizeMismatch_n) {
  const std::vector<float> a{0.1f, 0.2f}, b{0.1f};
  EXPECT_THROW(compare_outputs(a, b, 0.5f), std::invalid_argument);
}

}  // namespace
}  // namespace resq
