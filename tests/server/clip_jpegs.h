// The first frames of the webcam clip as JPEG bytes, as a camera client would send them.
#pragma once

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

namespace resq::server {

inline std::vector<std::string> clip_jpegs(int count) {
  cv::VideoCapture cap(std::string(RESQ_ASSET_DIR) + "/movie.avi");
  EXPECT_TRUE(cap.isOpened()) << "movie.avi missing: run scripts/fetch_assets.sh";
  std::vector<std::string> jpegs;
  cv::Mat bgr;
  while (static_cast<int>(jpegs.size()) < count && cap.read(bgr)) {
    std::vector<uchar> bytes;
    cv::imencode(".jpg", bgr, bytes);
    jpegs.emplace_back(bytes.begin(), bytes.end());
  }
  EXPECT_EQ(static_cast<int>(jpegs.size()), count);
  return jpegs;
}

}  // namespace resq::server
