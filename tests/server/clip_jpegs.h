// The first frames of the webcam clip as JPEG bytes, as a camera client would send them, and
// JPEG bytes damaged past their header.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
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

// The first Huffman table given three 1-bit codes (two can exist), its symbol count kept: the
// header reads, the coded data cannot be decoded.
inline std::string with_bad_huffman_table(std::string jpeg) {
  const size_t dht = jpeg.find("\xff\xc4", 0, 2);
  if (dht == std::string::npos) {
    ADD_FAILURE() << "no Huffman table in the JPEG";
    return jpeg;
  }
  char* counts = jpeg.data() + dht + 5;  // marker, length, class and id, then 16 code counts
  const auto largest = std::max_element(counts + 1, counts + 16, [](char a, char b) {
    return static_cast<uint8_t>(a) < static_cast<uint8_t>(b);
  });
  EXPECT_GE(static_cast<uint8_t>(*largest), 3);
  counts[0] = static_cast<char>(static_cast<uint8_t>(counts[0]) + 3);
  *largest = static_cast<char>(static_cast<uint8_t>(*largest) - 3);
  return jpeg;
}

}  // namespace resq::server
