// The scheme / bits rule of resqinfer (engine/stream/stream_settings.h).
#include "engine/stream/stream_settings.h"

#include <gtest/gtest.h>

namespace resq {
namespace {

std::string resolved(QuantScheme scheme, const std::string& bits) {
  return resolve_stream_config({scheme, bits, 4, 3.0}).bits.to_string();
}

TEST(StreamSettingsTest, SchemeRunsItsPartOfTheBits) {
  EXPECT_EQ(resolved(QuantScheme::kDynamicResQ, "W8A8->W8A{0,4,8}"), "W8A8->W8A{0,4,8}");
  EXPECT_EQ(resolved(QuantScheme::kResQ, "W8A8->W4A4"), "W8A8->W4A4");
  EXPECT_EQ(resolved(QuantScheme::kFloat, "W8A8->W8A{0,4,8}"), "fp32");
  EXPECT_EQ(resolved(QuantScheme::kFrame, "W8A8->W4A4"), "W8A8");
  EXPECT_EQ(resolved(QuantScheme::kFrame, "W6A6"), "W6A6");
  EXPECT_EQ(resolved(QuantScheme::kSkip, "W8A8"), "W8A8->skip");
  EXPECT_EQ(resolved(QuantScheme::kSkip, "W8A8->W8A{0,4,8}"), "W8A8->skip");
  EXPECT_EQ(resolved(QuantScheme::kSkip, "fp32"), "fp32->skip");
  EXPECT_EQ(resolved(QuantScheme::kSkip, "fp32->skip"), "fp32->skip");
}

TEST(StreamSettingsTest, PeriodAndTauPassThrough) {
  const StreamConfig c =
      resolve_stream_config({QuantScheme::kDynamicResQ, "W8A8->W8A{0,8}", 6, 1.5});
  EXPECT_EQ(c.period, 6);
  EXPECT_EQ(c.tau, 1.5);
}

void expect_rejected(const StreamSettings& s, const std::string& says) {
  try {
    resolve_stream_config(s);
    ADD_FAILURE() << "accepted " << s.bits;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(StreamSettingsTest, ContradictionsAreRejected_n) {
  expect_rejected({QuantScheme::kResQ, "W8A8->W8A{0,4,8}", 4, 3}, "scheme=resq contradicts");
  expect_rejected({QuantScheme::kDynamicResQ, "W8A8->W4A4", 4, 3}, "scheme=dynamic contradicts");
  expect_rejected({QuantScheme::kResQ, "W8A8", 4, 3}, "bits describe frame");
  expect_rejected({QuantScheme::kDynamicResQ, "W8A8->skip", 4, 3}, "bits describe skip");
  expect_rejected({QuantScheme::kFrame, "fp32", 4, 3}, "use scheme=fp32");
}

TEST(StreamSettingsTest, BadValuesAreRejected_n) {
  expect_rejected({QuantScheme::kDynamicResQ, "W8A8->W8A{0,4", 4, 3}, "bits: ");
  expect_rejected({QuantScheme::kDynamicResQ, "", 4, 3}, "bits: ");
  expect_rejected({QuantScheme::kDynamicResQ, "W8A8->W8A{0,4,8}", 0, 3}, "keyframe-interval");
  expect_rejected({QuantScheme::kDynamicResQ, "W8A8->W8A{0,4,8}", 4, -1}, "tau");
}

}  // namespace
}  // namespace resq
