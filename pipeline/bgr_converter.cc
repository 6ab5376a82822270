#include "pipeline/bgr_converter.h"

#include <stdexcept>
#include <string>

namespace resq::gst {

BgrConverter::BgrConverter(const GstVideoInfo& in) {
  gst_video_info_set_format(&bgr_info_, GST_VIDEO_FORMAT_BGR, GST_VIDEO_INFO_WIDTH(&in),
                            GST_VIDEO_INFO_HEIGHT(&in));
  // The converter wants the rest of the description equal on both sides.
  GST_VIDEO_INFO_FPS_N(&bgr_info_) = GST_VIDEO_INFO_FPS_N(&in);
  GST_VIDEO_INFO_FPS_D(&bgr_info_) = GST_VIDEO_INFO_FPS_D(&in);
  GST_VIDEO_INFO_PAR_N(&bgr_info_) = GST_VIDEO_INFO_PAR_N(&in);
  GST_VIDEO_INFO_PAR_D(&bgr_info_) = GST_VIDEO_INFO_PAR_D(&in);
  GST_VIDEO_INFO_INTERLACE_MODE(&bgr_info_) = GST_VIDEO_INFO_INTERLACE_MODE(&in);
  if (GST_VIDEO_INFO_FORMAT(&in) == GST_VIDEO_FORMAT_BGR) return;
  converter_ = gst_video_converter_new(const_cast<GstVideoInfo*>(&in), &bgr_info_, nullptr);
  if (!converter_)
    throw std::invalid_argument(std::string("cannot convert ") +
                                gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&in)) + " to BGR");
  // GStreamer's BGR rows are 4-byte aligned: the Mat takes the same stride.
  storage_.resize(GST_VIDEO_INFO_SIZE(&bgr_info_));
  bgr_ = cv::Mat(GST_VIDEO_INFO_HEIGHT(&in), GST_VIDEO_INFO_WIDTH(&in), CV_8UC3, storage_.data(),
                 static_cast<size_t>(GST_VIDEO_INFO_PLANE_STRIDE(&bgr_info_, 0)));
}

BgrConverter::~BgrConverter() {
  if (converter_) gst_video_converter_free(converter_);
}

cv::Mat BgrConverter::convert(const GstVideoFrame& frame) {
  if (!converter_)
    return cv::Mat(GST_VIDEO_FRAME_HEIGHT(&frame), GST_VIDEO_FRAME_WIDTH(&frame), CV_8UC3,
                   GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
                   static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0)));
  // The converter writes through a GstVideoFrame: describe storage_ as one.
  GstVideoFrame out{};
  out.info = bgr_info_;
  out.data[0] = storage_.data();
  gst_video_converter_frame(converter_, &frame, &out);
  return bgr_;
}

}  // namespace resq::gst
