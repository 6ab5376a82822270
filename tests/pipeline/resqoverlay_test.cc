// resqoverlay: tints where the mask is above the threshold and nowhere else, draws the bit map
// between keyframes, and leaves buffers without GstResQMeta alone.
#include <opencv2/imgproc.hpp>

#include "tests/pipeline/gst_test_util.h"

namespace resq::gst::test {
namespace {

cv::Mat pixels_of(GstBuffer* buf) {  // BGRx 160x120, copied
  GstMapInfo map;
  EXPECT_TRUE(gst_buffer_map(buf, &map, GST_MAP_READ));
  cv::Mat img = cv::Mat(120, 160, CV_8UC4, map.data).clone();
  gst_buffer_unmap(buf, &map);
  return img;
}

// Pixels whose channels differ between a and b (CV_8U mask).
cv::Mat changed(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff, gray;
  cv::absdiff(a, b, diff);
  cv::cvtColor(diff, gray, cv::COLOR_BGRA2GRAY);
  return gray > 0;
}

cv::Mat mask_above(const GstResQMeta& meta, double threshold) {
  const cv::Mat map(static_cast<int>(meta.mask_height), static_cast<int>(meta.mask_width), CV_32FC1,
                    meta.mask);
  cv::Mat scaled;
  cv::resize(map, scaled, cv::Size(160, 120), 0, 0, cv::INTER_LINEAR);
  return scaled > threshold;
}

TEST(ResQOverlayTest, TintsExactlyWhereTheMaskIsAboveTheThreshold) {
  const std::vector<cv::Mat> frames = clip_frames(1);
  Harness h = make_harness(infer_launch() +
                               " ! resqoverlay show-caption=false "
                               "show-keyframe=false mask-alpha=0.5",
                           GST_VIDEO_FORMAT_BGRx);
  Buffer out = push_pull(h.get(), frames[0], GST_VIDEO_FORMAT_BGRx, 0);
  ASSERT_TRUE(out);
  const GstResQMeta* meta = gst_buffer_get_resq_meta(out.get());
  ASSERT_TRUE(meta);
  Buffer in(frame_buffer(frames[0], GST_VIDEO_FORMAT_BGRx, 0));
  const cv::Mat tinted = changed(pixels_of(in.get()), pixels_of(out.get()));
  const cv::Mat person = mask_above(*meta, 0.5);
  ASSERT_GT(cv::countNonZero(person), 160 * 120 / 10) << "the clip shows a person";
  cv::Mat outside, inside;
  cv::bitwise_and(tinted, ~person, outside);
  cv::bitwise_and(tinted, person, inside);
  EXPECT_EQ(cv::countNonZero(outside), 0);
  EXPECT_GT(cv::countNonZero(inside), cv::countNonZero(person) * 95 / 100);
}

TEST(ResQOverlayTest, KeyframeMarkerAndCaptionDrawOutsideTheMask) {
  const std::vector<cv::Mat> frames = clip_frames(1);
  Harness h = make_harness(infer_launch() + " ! resqoverlay mask-alpha=0", GST_VIDEO_FORMAT_BGRx);
  Buffer out = push_pull(h.get(), frames[0], GST_VIDEO_FORMAT_BGRx, 0);
  ASSERT_TRUE(out);
  Buffer in(frame_buffer(frames[0], GST_VIDEO_FORMAT_BGRx, 0));
  EXPECT_GT(cv::countNonZero(changed(pixels_of(in.get()), pixels_of(out.get()))), 100);
}

TEST(ResQOverlayTest, BitMapTintsResidualFramesOnly) {
  const std::vector<cv::Mat> frames = clip_frames(2);
  Harness h = make_harness(infer_launch() +
                               " ! resqoverlay mask-alpha=0 show-caption=false "
                               "show-keyframe=false show-bit-map=true",
                           GST_VIDEO_FORMAT_BGRx);
  for (int i = 0; i < 2; ++i) {
    Buffer out = push_pull(h.get(), frames[static_cast<size_t>(i)], GST_VIDEO_FORMAT_BGRx, i);
    ASSERT_TRUE(out);
    Buffer in(frame_buffer(frames[static_cast<size_t>(i)], GST_VIDEO_FORMAT_BGRx, i));
    const int tinted = cv::countNonZero(changed(pixels_of(in.get()), pixels_of(out.get())));
    if (i == 0)
      EXPECT_EQ(tinted, 0) << "keyframe";
    else
      EXPECT_GT(tinted, 0) << "residual frame: some pixels take 4 or 8 bits";
  }
}

TEST(ResQOverlayTest, BuffersWithoutMetaPassUnchanged) {
  const std::vector<cv::Mat> frames = clip_frames(1);
  Harness h = make_harness("resqoverlay", GST_VIDEO_FORMAT_BGRx);
  Buffer out = push_pull(h.get(), frames[0], GST_VIDEO_FORMAT_BGRx, 0);
  ASSERT_TRUE(out);
  Buffer in(frame_buffer(frames[0], GST_VIDEO_FORMAT_BGRx, 0));
  EXPECT_EQ(cv::countNonZero(changed(pixels_of(in.get()), pixels_of(out.get()))), 0);
}

}  // namespace
}  // namespace resq::gst::test
