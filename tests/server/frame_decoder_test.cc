#include "server/frame_decoder.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/server/clip_jpegs.h"

namespace resq::server {
namespace {

v1::Frame jpeg_frame(const std::string& bytes) {
  v1::Frame frame;
  frame.set_jpeg(bytes);
  return frame;
}

std::string encode(const std::string& ext, const cv::Mat& image) {
  std::vector<uchar> bytes;
  EXPECT_TRUE(cv::imencode(ext, image, bytes));
  return {bytes.begin(), bytes.end()};
}

// What cv::imdecode makes of the bytes, as the server decoded JPEGs before TurboJPEG.
cv::Mat opencv_decode(const std::string& bytes) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1,
                              const_cast<char*>(bytes.data())),
                      cv::IMREAD_COLOR);
}

void expect_same_pixels(const cv::Mat& got, const cv::Mat& want) {
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got.type(), want.type());
  EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0.0);
}

TEST(FrameDecoder, JpegPixelsAreOpenCvs) {
  for (const std::string& jpeg : clip_jpegs(3)) {
    const cv::Mat bgr = decode_frame(jpeg_frame(jpeg));
    expect_same_pixels(bgr, opencv_decode(jpeg));
  }
}

// Grayscale and progressive JPEGs of odd sizes, and a 1x1 one, decode as OpenCV decodes them.
TEST(FrameDecoder, OtherJpegLayoutsAreOpenCvs) {
  cv::Mat bgr(37, 53, CV_8UC3), gray;
  cv::randu(bgr, 0, 256);
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  std::vector<uchar> bytes;
  ASSERT_TRUE(cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  for (const std::string& jpeg :
       {encode(".jpg", bgr), encode(".jpg", gray), std::string(bytes.begin(), bytes.end()),
        encode(".jpg", cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)))})
    expect_same_pixels(decode_frame(jpeg_frame(jpeg)), opencv_decode(jpeg));
}

// The message of the std::invalid_argument `f` throws; "" when it throws none.
template <class F>
std::string thrown_by(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// The error frame_decoder names before any decoding is asked for.
std::string error_of(const v1::Frame& frame) {
  return thrown_by([&] { frame_decoder(frame); });
}

// What shows without decoding is refused before the decoding is asked for.
TEST(FrameDecoder, BadImages_n) {
  EXPECT_EQ(error_of(jpeg_frame("")), "jpeg: empty");
  EXPECT_EQ(error_of(jpeg_frame("not a jpeg")), "jpeg: 10 bytes are not a decodable image");
  // A header that promises more pixels than OpenCV allows: refused, nothing allocated.
  std::string huge = clip_jpegs(1)[0];
  const size_t sof = huge.find("\xff\xc0", 0, 2);
  ASSERT_NE(sof, std::string::npos);
  huge[sof + 5] = huge[sof + 6] = huge[sof + 7] = huge[sof + 8] = '\xff';  // 65535 x 65535
  EXPECT_NE(error_of(jpeg_frame(huge)).find("jpeg: "), std::string::npos);
  v1::Frame png;
  png.set_png("\x89PNG but not really");
  EXPECT_NE(error_of(png).find("png: "), std::string::npos);
  v1::Frame raw;
  raw.set_raw_rgb8(std::string(4 * 3 * 3 - 1, '\0'));
  raw.set_width(4);
  raw.set_height(3);
  EXPECT_EQ(error_of(raw), "raw_rgb8: 35 bytes, 4x3x3 needs 36");
  EXPECT_EQ(error_of(v1::Frame()), "frame has no image (set jpeg, png or raw_rgb8)");
}

TEST(FrameDecoder, DamagedCodedDataShowsWhenDecoded_n) {
  const std::string bad = with_bad_huffman_table(clip_jpegs(1)[0]);
  const v1::Frame frame = jpeg_frame(bad);
  const std::function<cv::Mat()> decode = frame_decoder(frame);  // the header is fine
  EXPECT_EQ(thrown_by(decode),
            "jpeg: " + std::to_string(bad.size()) + " bytes are not a decodable image");
}

// A PNG whose image data is damaged (a byte of its IDAT chunk flipped, so the chunk's CRC fails):
// the header reads, the decoding names the error; the same PNG undamaged decodes as OpenCV does.
TEST(FrameDecoder, DamagedPngDataShowsWhenDecoded_n) {
  cv::Mat bgr(48, 64, CV_8UC3);
  cv::randu(bgr, 0, 256);
  const std::string png = encode(".png", bgr);
  v1::Frame good;
  good.set_png(png);
  expect_same_pixels(frame_decoder(good)(), bgr);
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  v1::Frame damaged;
  damaged.set_png(png);
  (*damaged.mutable_png())[idat + 20] ^= 0x55;
  const std::function<cv::Mat()> decode = frame_decoder(damaged);  // the header is fine
  EXPECT_EQ(thrown_by(decode),
            "png: " + std::to_string(png.size()) + " bytes are not a decodable image");
  // Damage before the image data (IHDR's CRC) is refused before any decoding.
  damaged.set_png(png);
  (*damaged.mutable_png())[png.find("IHDR") + 6] ^= 0x01;
  EXPECT_THROW(frame_decoder(damaged), std::invalid_argument);
}

// 2000 damaged copies of a 256x256 vtest frame (JPEG quality 90): cut at a random length, four
// random bits flipped, or one bit flipped in the first 600 bytes (the headers), seed 1. The
// check before decoding never refuses a copy the decoders accept (TurboJPEG, then OpenCV, as
// the server decoded every frame before), refuses most copies they refuse, and any other copy
// they refuse fails when it is decoded. Prints the counts docs/performance.md quotes.
TEST(FrameDecoder, HeaderCheckOnDamagedJpegs_n) {
  cv::VideoCapture video(std::string(RESQ_ASSET_DIR) + "/vtest.avi");
  cv::Mat first, sized;
  ASSERT_TRUE(video.read(first));
  cv::resize(first, sized, cv::Size(256, 256));
  std::vector<uchar> encoded;
  ASSERT_TRUE(cv::imencode(".jpg", sized, encoded, {cv::IMWRITE_JPEG_QUALITY, 90}));
  const std::string jpeg(encoded.begin(), encoded.end());
  std::mt19937 rng(1);
  int refused = 0, refused_at_check = 0, accepted = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = jpeg;
    if (trial % 3 == 0) {
      bytes.resize(rng() % bytes.size());
    } else {
      for (int k = 0; k < (trial % 3 == 1 ? 4 : 1); ++k) {
        const unsigned bit = rng() % 8;  // drawn before the position, as the survey did
        const size_t at = rng() % (trial % 3 == 1 ? bytes.size() : 600);
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << bit));
      }
    }
    const bool decodes =
        !bytes.empty() && (!decode_turbo_jpeg(bytes).empty() || !opencv_decode(bytes).empty());
    const v1::Frame frame = jpeg_frame(bytes);
    std::function<cv::Mat()> decode;
    try {
      decode = frame_decoder(frame);
    } catch (const std::invalid_argument&) {
      EXPECT_FALSE(decodes) << "trial " << trial << ": refused at the check, yet it decodes";
      ++refused;
      ++refused_at_check;
      continue;
    }
    if (decodes) {
      ++accepted;
      EXPECT_FALSE(decode().empty()) << "trial " << trial;
    } else {
      ++refused;
      EXPECT_THROW(decode(), std::invalid_argument) << "trial " << trial;
    }
  }
  std::printf("damaged JPEGs: %d of 2000 decode; the decoders refuse %d, the check %d of those\n",
              accepted, refused, refused_at_check);
  EXPECT_GT(refused_at_check * 4, refused * 3);  // most refusals show before any decoding
}

// A TurboJPEG handle whose header read failed failed every later JPEG's header, good ones too,
// so a worker thread decoded with OpenCV from then on (twice as slow): it is replaced.
TEST(FrameDecoder, TurboJpegRecoversFromABadHeader_n) {
  const std::string jpeg = clip_jpegs(1)[0];
  std::string bad = jpeg;
  const size_t dqt = bad.find("\xff\xdb", 0, 2);
  ASSERT_NE(dqt, std::string::npos);
  bad[dqt + 2] = '\0';  // a marker length of 1
  bad[dqt + 3] = '\1';
  EXPECT_TRUE(decode_turbo_jpeg(bad).empty());
  EXPECT_TRUE(decode_turbo_jpeg("not a jpeg").empty());
  expect_same_pixels(decode_turbo_jpeg(jpeg), opencv_decode(jpeg));
}

// Raw frames are checked at once and converted when asked.
TEST(FrameDecoder, RawRgb8IsSwappedToBgr) {
  v1::Frame raw;
  raw.set_raw_rgb8(std::string("\x01\x02\x03\x04\x05\x06", 6));
  raw.set_width(2);
  raw.set_height(1);
  const cv::Mat bgr = decode_frame(raw);
  ASSERT_EQ(bgr.size(), cv::Size(2, 1));
  EXPECT_EQ(bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(3, 2, 1));
  EXPECT_EQ(bgr.at<cv::Vec3b>(0, 1), cv::Vec3b(6, 5, 4));
}

// A truncated JPEG: libjpeg warns and TurboJPEG gives up; OpenCV decides as before.
TEST(FrameDecoder, TruncatedJpegIsDecidedByOpenCv) {
  const std::string jpeg = clip_jpegs(1)[0];
  const std::string cut = jpeg.substr(0, jpeg.size() / 2);
  const cv::Mat want = opencv_decode(cut);
  if (want.empty()) {
    EXPECT_NE(error_of(jpeg_frame(cut)).find("not a decodable image"), std::string::npos);
  } else {
    expect_same_pixels(decode_frame(jpeg_frame(cut)), want);
  }
}

}  // namespace
}  // namespace resq::server
