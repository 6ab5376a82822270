// Shared by the plugin tests: the real model and clip, the calibration the ctest fixture makes,
// frames as GStreamer buffers, harnesses around resqinfer / resqoverlay (loaded from
// GST_PLUGIN_PATH, as applications load them) and bus helpers.
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <memory>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "pipeline/gstresqmeta.h"

namespace resq::gst::test {

inline const std::string kAssets = RESQ_ASSET_DIR;
inline const std::string kModel = kAssets + "/selfie_segmentation.tflite";
inline const std::string kClip = kAssets + "/movie.avi";
inline const std::string kCalibration = RESQ_GST_CALIBRATION;  // made by a ctest fixture
inline const std::string kWorkDir = RESQ_GST_WORK_DIR;

// First `count` frames of movie.avi (160x120 BGR).
inline std::vector<cv::Mat> clip_frames(int count) {
  cv::VideoCapture cap(kClip);
  EXPECT_TRUE(cap.isOpened()) << kClip << " missing: run scripts/fetch_assets.sh";
  std::vector<cv::Mat> frames;
  cv::Mat bgr;
  while (static_cast<int>(frames.size()) < count && cap.read(bgr)) frames.push_back(bgr.clone());
  EXPECT_EQ(static_cast<int>(frames.size()), count);
  return frames;
}

// A BGR frame as an RGB or BGRx buffer, rows laid out as GStreamer does for that format.
inline GstBuffer* frame_buffer(const cv::Mat& bgr, GstVideoFormat format, int index) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, format, static_cast<guint>(bgr.cols),
                            static_cast<guint>(bgr.rows));
  cv::Mat converted;
  if (format == GST_VIDEO_FORMAT_RGB) {
    cv::cvtColor(bgr, converted, cv::COLOR_BGR2RGB);
  } else {
    EXPECT_EQ(format, GST_VIDEO_FORMAT_BGRx);
    cv::cvtColor(bgr, converted, cv::COLOR_BGR2BGRA);
  }
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstVideoFrame frame;
  EXPECT_TRUE(gst_video_frame_map(&frame, &info, buf, GST_MAP_WRITE));
  const size_t row = static_cast<size_t>(converted.cols) * converted.elemSize();
  for (int y = 0; y < converted.rows; ++y)
    std::copy(converted.ptr(y), converted.ptr(y) + row,
              static_cast<uchar*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)) +
                  y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0));
  gst_video_frame_unmap(&frame);
  GST_BUFFER_PTS(buf) = static_cast<GstClockTime>(index) * GST_SECOND / 10;
  GST_BUFFER_DURATION(buf) = GST_SECOND / 10;
  return buf;
}

inline std::string caps_string(GstVideoFormat format, int width, int height) {
  return std::string("video/x-raw,format=") + gst_video_format_to_string(format) +
         ",width=" + std::to_string(width) + ",height=" + std::to_string(height) +
         ",framerate=10/1";
}

struct HarnessDeleter {
  void operator()(GstHarness* h) const { gst_harness_teardown(h); }
};
using Harness = std::unique_ptr<GstHarness, HarnessDeleter>;

struct BufferDeleter {
  void operator()(GstBuffer* b) const { gst_buffer_unref(b); }
};
using Buffer = std::unique_ptr<GstBuffer, BufferDeleter>;

// A harness around `launch` (e.g. "resqinfer model=... calibration=..."), which starts it:
// only for settings that start. Caps: `format` at the clip's 160x120.
inline Harness make_harness(const std::string& launch,
                            GstVideoFormat format = GST_VIDEO_FORMAT_RGB) {
  Harness h(gst_harness_new_parse(launch.c_str()));
  gst_harness_set_src_caps_str(h.get(), caps_string(format, 160, 120).c_str());
  return h;
}

inline std::string infer_launch(const std::string& extra = "") {
  return "resqinfer model=" + kModel + " calibration=" + kCalibration + " " + extra;
}

// Pushes a frame and pulls the result (null on a flow error).
inline Buffer push_pull(GstHarness* h, const cv::Mat& bgr, GstVideoFormat format, int index) {
  if (gst_harness_push(h, frame_buffer(bgr, format, index)) != GST_FLOW_OK) return nullptr;
  return Buffer(gst_harness_pull(h));
}

// The first element of class `factory` inside a harness' (bin) element, else the element.
inline GstElement* find_element(GstHarness* h, const char* factory) {
  if (!GST_IS_BIN(h->element)) return h->element;
  GstIterator* it = gst_bin_iterate_elements(GST_BIN(h->element));
  GValue item = G_VALUE_INIT;
  GstElement* found = nullptr;
  while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* e = GST_ELEMENT(g_value_get_object(&item));
    if (g_str_equal(GST_OBJECT_NAME(gst_element_get_factory(e)), factory)) found = e;
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

inline GstElement* infer_of(GstHarness* h) { return find_element(h, "resqinfer"); }

// Runs `launch` to PAUSED; returns the state change result and, on failure, the first error
// message on the bus ("text | debug").
struct LaunchResult {
  GstStateChangeReturn state_change;
  std::string error;
};
inline LaunchResult try_launch(const std::string& launch) {
  GError* parse_error = nullptr;
  GstElement* pipeline = gst_parse_launch(launch.c_str(), &parse_error);
  if (!pipeline || parse_error) {
    LaunchResult r{GST_STATE_CHANGE_FAILURE, parse_error ? parse_error->message : "parse failed"};
    g_clear_error(&parse_error);
    if (pipeline) gst_object_unref(pipeline);
    return r;
  }
  LaunchResult r{gst_element_set_state(pipeline, GST_STATE_PAUSED), ""};
  if (r.state_change == GST_STATE_CHANGE_ASYNC)
    r.state_change = gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND);
  GstBus* bus = gst_element_get_bus(pipeline);
  if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* e = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(m, &e, &debug);
    r.error = std::string(e->message) + " | " + (debug ? debug : "");
    g_error_free(e);
    g_free(debug);
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return r;
}

}  // namespace resq::gst::test
