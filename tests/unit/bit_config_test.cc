#include "engine/quant/bit_config.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace resq {
namespace {

TEST(BitConfig, ParsesEachScheme) {
  const BitConfig fp = BitConfig::parse("fp32");
  EXPECT_EQ(fp.scheme, QuantScheme::kFloat);
  EXPECT_EQ(fp.key_w, 32);
  EXPECT_TRUE(fp.res_a_pool.empty());

  const BitConfig frame = BitConfig::parse("W4A8");
  EXPECT_EQ(frame.scheme, QuantScheme::kFrame);
  EXPECT_EQ(frame.key_w, 4);
  EXPECT_EQ(frame.key_a, 8);
  EXPECT_EQ(frame.res_w, 0);
  EXPECT_TRUE(frame.res_a_pool.empty());

  const BitConfig resq = BitConfig::parse("W8A8->W4A2");
  EXPECT_EQ(resq.scheme, QuantScheme::kResQ);
  EXPECT_EQ(resq.key_w, 8);
  EXPECT_EQ(resq.key_a, 8);
  EXPECT_EQ(resq.res_w, 4);
  EXPECT_EQ(resq.res_a_pool, std::vector<int>{2});

  const BitConfig dynamic = BitConfig::parse("W8A16->W6A{0,3,4}");
  EXPECT_EQ(dynamic.scheme, QuantScheme::kDynamicResQ);
  EXPECT_EQ(dynamic.key_a, 16);
  EXPECT_EQ(dynamic.res_w, 6);
  EXPECT_EQ(dynamic.res_a_pool, (std::vector<int>{0, 3, 4}));
}

TEST(BitConfig, ParsesSkip) {
  const BitConfig key8 = BitConfig::parse("W8A8->skip");
  EXPECT_EQ(key8.scheme, QuantScheme::kSkip);
  EXPECT_EQ(key8.key_w, 8);
  EXPECT_EQ(key8.key_a, 8);
  EXPECT_TRUE(key8.res_a_pool.empty());
  EXPECT_TRUE(key8.uses_keyframes());
  const BitConfig fp = BitConfig::parse("fp32->skip");
  EXPECT_EQ(fp.scheme, QuantScheme::kSkip);
  EXPECT_EQ(fp.key_w, 32);
  EXPECT_EQ(fp.key_a, 32);
  EXPECT_EQ(BitConfig::parse("W32A32->skip").to_string(), "fp32->skip");
  EXPECT_FALSE(BitConfig::parse("W8A8").uses_keyframes());
  EXPECT_STREQ(scheme_name(key8.scheme), "skip");
  EXPECT_STREQ(scheme_name(BitConfig::parse("W8A8->W8A{0,8}").scheme), "dynamic");
}

TEST(BitConfig, RoundTrips) {
  for (const char* text : {"fp32", "fp32->skip", "W8A8->skip", "W4A4->skip", "W8A8", "W32A32", "W2A2", "W8A8->W4A4", "W8A8->W4A0",
                           "W16A16->W8A8", "W8A8->W8A{0,4,8}", "W8A8->W8A{0,3,4}", "W8A8->W8A{4}",
                           "W8A8->W8A{0,2,3,4,5,6,7,8,16,32}"}) {
    const BitConfig c = BitConfig::parse(text);
    EXPECT_EQ(c.to_string(), text);
    EXPECT_EQ(BitConfig::parse(c.to_string()), c) << text;
  }
}

TEST(BitConfig, PoolIsSorted) {
  const BitConfig c = BitConfig::parse("W8A8->W8A{8,0,4}");
  EXPECT_EQ(c.res_a_pool, (std::vector<int>{0, 4, 8}));
  EXPECT_EQ(c.to_string(), "W8A8->W8A{0,4,8}");
}

TEST(BitConfig, StaticAndDynamicWithOneBitWidthDiffer) {
  EXPECT_NE(BitConfig::parse("W8A8->W4A4"), BitConfig::parse("W8A8->W4A{4}"));
}

// Each bad text with a piece of the message it must produce.
TEST(BitConfig, Rejections_n) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "expected 'W' at position 0"},
      {"W8", "expected 'A' at position 2"},
      {"W8A", "expected the activation bit-width at position 3"},
      {"W9A8", "weight bits 9 not in {0, 2..8, 16, 32} at position 1"},
      {"W8A12", "activation bits 12 not in"},
      {"W1A8", "weight bits 1 not in"},
      {"W-1A8", "weight bits -1 not in"},
      {"W99999999999A8", "weight bits 99999999999 not in"},
      {"W0A8", "weight bits cannot be 0 at position 1"},
      {"W8A0", "activation bits cannot be 0 at position 3"},
      {"W8A8->W0A4", "residual weight bits cannot be 0 at position 7"},
      {"W8A8->W4A1", "residual activation bits 1 not in"},
      {"W8A8->W8A{}", "empty bit-width pool at position 10"},
      {"W8A8->W8A{0,4,4}", "bit-width 4 repeated in the pool at position 14"},
      {"W8A8->W8A{0,4", "expected '}' at position 13"},
      {"W8A8->W8A{0,,4}", "expected the residual activation bit-width at position 12"},
      {"W8A8->", "expected 'W' at position 6"},
      {"W8A8 ->W4A4", "expected '->' at position 4"},
      {"w8a8", "expected 'W' at position 0"},
      {"fp32x", "expected '->' at position 4"},
      {"fp32->", "expected 'skip' at position 6"},
      {"fp32->W8A8", "expected 'skip' at position 6"},
      {"fp32->skipx", "unexpected text after the configuration at position 10"},
      {"W8A8->skip4", "unexpected text after the configuration at position 10"},
      {"W8A8->Skip", "expected 'W' at position 6"},
      {"W8A8->W4A4x", "unexpected text after the configuration at position 10"},
      {"W8A8->W4A{4}}", "unexpected text after the configuration at position 12"},
  };
  for (const auto& [text, reason] : cases) {
    try {
      BitConfig::parse(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("\"" + text + "\""), std::string::npos) << what;
      EXPECT_NE(what.find(reason), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace resq
