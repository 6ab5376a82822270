#include "engine/resq/calibration_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "engine/error.h"

namespace resq {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "/" + name; }

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string load_error(const std::string& text) {
  // One file per test: ctest runs tests in parallel processes.
  const std::string path =
      temp_path(std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                ".json");
  write(path, text);
  try {
    load_calibration(path);
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(CalibrationJson, RoundTrip) {
  Calibration c;
  c.model_fingerprint = 0xfedcba9876543210ull;
  c.layers.push_back({"conv1", {{2, 0.25}, {8, 1.5}}, {{4, 0.125}}});
  c.layers.push_back({"conv2", {{8, 3.0}}, {{8, 0.5}, {2, 0.0625}}});
  const std::string path = temp_path("calib.json");
  save_calibration(path, c);
  Calibration back = load_calibration(path);
  EXPECT_EQ(back.model_fingerprint, c.model_fingerprint);
  ASSERT_EQ(back.layers.size(), 2u);
  EXPECT_EQ(back.layers[1].node, "conv2");
  EXPECT_EQ(back.layers[0].key_clip, c.layers[0].key_clip);
  EXPECT_EQ(back.layers[1].residual_clip, c.layers[1].residual_clip);
}

TEST(CalibrationJson, MissingFile_n) {
  EXPECT_THROW(load_calibration(temp_path("no_such_calibration.json")), ModelError);
}

TEST(CalibrationJson, NotJson_n) { EXPECT_NE(load_error("{ nope").find("not valid JSON"), std::string::npos); }

TEST(CalibrationJson, MissingField_n) {
  std::string msg = load_error(R"({"format_version": 1, "layers": []})");
  EXPECT_NE(msg.find("'model_fingerprint'"), std::string::npos) << msg;
  msg = load_error(R"({"format_version": 1, "model_fingerprint": 1, "layers": [{"node": "c"}]})");
  EXPECT_NE(msg.find("layers[0]: missing field 'key_clip'"), std::string::npos) << msg;
}

TEST(CalibrationJson, BadValues_n) {
  std::string msg = load_error(
      R"({"format_version": 1, "model_fingerprint": 1,
          "layers": [{"node": "c", "key_clip": {"8": -1}, "residual_clip": {}}]})");
  EXPECT_NE(msg.find("layers[0].key_clip.8"), std::string::npos) << msg;
  msg = load_error(
      R"({"format_version": 1, "model_fingerprint": 1,
          "layers": [{"node": "c", "key_clip": {"eight": 1}, "residual_clip": {}}]})");
  EXPECT_NE(msg.find("'eight'"), std::string::npos) << msg;
  msg = load_error(R"({"format_version": 7, "model_fingerprint": 1, "layers": []})");
  EXPECT_NE(msg.find("format_version 7"), std::string::npos) << msg;
}

}  // namespace
}  // namespace resq
