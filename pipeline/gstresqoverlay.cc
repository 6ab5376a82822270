#include "pipeline/gstresqoverlay.h"

#include <gst/video/video.h>

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "pipeline/gstresqmeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_resq_overlay_debug);
#define GST_CAT_DEFAULT gst_resq_overlay_debug

struct _GstResQOverlay {
  GstVideoFilter parent;
  // Properties; guarded by the object lock.
  gdouble mask_threshold;
  gdouble mask_alpha;
  guint mask_color;  // 0xRRGGBB
  gboolean show_bit_map;
  gboolean show_keyframe;
  gboolean show_caption;
};

enum {
  PROP_0,
  PROP_MASK_THRESHOLD,
  PROP_MASK_ALPHA,
  PROP_MASK_COLOR,
  PROP_SHOW_BIT_MAP,
  PROP_SHOW_KEYFRAME,
  PROP_SHOW_CAPTION,
};

#define RESQ_OVERLAY_FORMATS "{ RGB, BGR, RGBx, BGRx, RGBA, BGRA }"

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(RESQ_OVERLAY_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(RESQ_OVERLAY_FORMATS)));

#define gst_resq_overlay_parent_class parent_class
G_DEFINE_TYPE(GstResQOverlay, gst_resq_overlay, GST_TYPE_VIDEO_FILTER)
GST_ELEMENT_REGISTER_DEFINE(resqoverlay, "resqoverlay", GST_RANK_NONE, GST_TYPE_RESQ_OVERLAY)

namespace {

// A colour given as 0xRRGGBB in the frame's channel order.
cv::Scalar frame_color(GstVideoFormat format, guint rgb) {
  const double r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
  const bool rgb_order = format == GST_VIDEO_FORMAT_RGB || format == GST_VIDEO_FORMAT_RGBx ||
                         format == GST_VIDEO_FORMAT_RGBA;
  return rgb_order ? cv::Scalar(r, g, b, 255) : cv::Scalar(b, g, r, 255);
}

// img = (1 - alpha) img + alpha color where `where` is set.
void blend(cv::Mat& img, const cv::Mat& where, const cv::Scalar& color, double alpha) {
  cv::Mat tint(img.size(), img.type(), color), blended;
  cv::addWeighted(img, 1.0 - alpha, tint, alpha, 0.0, blended);
  blended.copyTo(img, where);
}

void draw_mask(cv::Mat& img, const GstResQMeta& meta, double threshold, const cv::Scalar& color,
               double alpha) {
  const cv::Mat map(static_cast<int>(meta.mask_height), static_cast<int>(meta.mask_width), CV_32FC1,
                    meta.mask);
  cv::Mat scaled, where;
  cv::resize(map, scaled, img.size(), 0, 0, cv::INTER_LINEAR);
  cv::compare(scaled, threshold, where, cv::CMP_GT);
  blend(img, where, color, alpha);
}

// Residual bit-widths between keyframes: 1..4 bits yellow, 5..8 bits red; pixels that sent
// nothing (0 bits) stay as they are.
void draw_bit_map(cv::Mat& img, const GstResQMeta& meta, GstVideoFormat format) {
  const cv::Mat bits(static_cast<int>(meta.bit_map_height), static_cast<int>(meta.bit_map_width),
                     CV_8UC1, meta.bit_map);
  cv::Mat scaled;
  cv::resize(bits, scaled, img.size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat low, high;
  cv::inRange(scaled, 1, 4, low);
  cv::inRange(scaled, 5, 8, high);
  blend(img, low, frame_color(format, 0xffdc00), 0.45);
  blend(img, high, frame_color(format, 0xff3000), 0.45);
}

void draw_text(cv::Mat& img, const char* text, cv::Point at, double scale) {
  const int thick = std::max(1, static_cast<int>(scale * 2));
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0, 255), thick + 2,
              cv::LINE_AA);
  cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255, 255), thick,
              cv::LINE_AA);
}

}  // namespace

static GstFlowReturn gst_resq_overlay_transform_frame_ip(GstVideoFilter* filter,
                                                         GstVideoFrame* frame) {
  auto* self = GST_RESQ_OVERLAY(filter);
  const GstResQMeta* meta = gst_buffer_get_resq_meta(frame->buffer);
  if (!meta) {
    GST_LOG_OBJECT(self, "no GstResQMeta on the buffer: nothing to draw");
    return GST_FLOW_OK;
  }
  GST_OBJECT_LOCK(self);
  const double threshold = self->mask_threshold, alpha = self->mask_alpha;
  const guint mask_color = self->mask_color;
  const bool show_bit_map = self->show_bit_map, show_keyframe = self->show_keyframe,
             show_caption = self->show_caption;
  GST_OBJECT_UNLOCK(self);

  const GstVideoFormat format = GST_VIDEO_FRAME_FORMAT(frame);
  const int channels = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, 0);
  cv::Mat img(GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_WIDTH(frame), CV_8UC(channels),
              GST_VIDEO_FRAME_PLANE_DATA(frame, 0),
              static_cast<size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0)));
  if (show_bit_map && meta->bit_map && !meta->keyframe) draw_bit_map(img, *meta, format);
  if (meta->mask && meta->mask_width > 0 && meta->mask_height > 0)
    draw_mask(img, *meta, threshold, frame_color(format, mask_color), alpha);

  const double scale = std::max(0.35, img.rows / 480.0 * 0.6);
  if (show_keyframe && meta->keyframe) {
    const int radius = std::max(5, img.rows / 40);
    const cv::Point center(img.cols - 2 * radius, 2 * radius);
    cv::circle(img, center, radius, frame_color(format, 0xff0000), cv::FILLED, cv::LINE_AA);
    draw_text(img, "K", center + cv::Point(-radius * 5 / 2 - radius, radius / 2), scale);
  }
  if (show_caption && meta->bops_fp32 > 0) {
    char caption[160];
    std::snprintf(caption, sizeof caption, "%s  %.1f%% BOPs saved vs fp32  %.1f ms",
                  meta->bits ? meta->bits : "", 100.0 * (1.0 - meta->bops / meta->bops_fp32),
                  meta->latency_ms);
    draw_text(img, caption, cv::Point(4, img.rows - 6), scale);
  }
  return GST_FLOW_OK;
}

static void gst_resq_overlay_set_property(GObject* object, guint prop_id, const GValue* value,
                                          GParamSpec* pspec) {
  auto* self = GST_RESQ_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MASK_THRESHOLD:
      self->mask_threshold = g_value_get_double(value);
      break;
    case PROP_MASK_ALPHA:
      self->mask_alpha = g_value_get_double(value);
      break;
    case PROP_MASK_COLOR:
      self->mask_color = g_value_get_uint(value);
      break;
    case PROP_SHOW_BIT_MAP:
      self->show_bit_map = g_value_get_boolean(value);
      break;
    case PROP_SHOW_KEYFRAME:
      self->show_keyframe = g_value_get_boolean(value);
      break;
    case PROP_SHOW_CAPTION:
      self->show_caption = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_resq_overlay_get_property(GObject* object, guint prop_id, GValue* value,
                                          GParamSpec* pspec) {
  auto* self = GST_RESQ_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MASK_THRESHOLD:
      g_value_set_double(value, self->mask_threshold);
      break;
    case PROP_MASK_ALPHA:
      g_value_set_double(value, self->mask_alpha);
      break;
    case PROP_MASK_COLOR:
      g_value_set_uint(value, self->mask_color);
      break;
    case PROP_SHOW_BIT_MAP:
      g_value_set_boolean(value, self->show_bit_map);
      break;
    case PROP_SHOW_KEYFRAME:
      g_value_set_boolean(value, self->show_keyframe);
      break;
    case PROP_SHOW_CAPTION:
      g_value_set_boolean(value, self->show_caption);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_resq_overlay_init(GstResQOverlay* self) {
  self->mask_threshold = 0.5;
  self->mask_alpha = 0.5;
  self->mask_color = 0x00c800;
  self->show_bit_map = FALSE;
  self->show_keyframe = TRUE;
  self->show_caption = TRUE;
}

static void gst_resq_overlay_class_init(GstResQOverlayClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_resq_overlay_debug, "resqoverlay", 0, "ResQ overlay");

  gobject_class->set_property = gst_resq_overlay_set_property;
  gobject_class->get_property = gst_resq_overlay_get_property;

  constexpr auto kLive = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_MASK_THRESHOLD,
      g_param_spec_double("mask-threshold", "Mask threshold",
                          "Pixels whose mask probability is above this are tinted", 0.0, 1.0, 0.5,
                          kLive));
  g_object_class_install_property(
      gobject_class, PROP_MASK_ALPHA,
      g_param_spec_double("mask-alpha", "Mask alpha", "Opacity of the mask tint", 0.0, 1.0, 0.5,
                          kLive));
  g_object_class_install_property(
      gobject_class, PROP_MASK_COLOR,
      g_param_spec_uint("mask-color", "Mask color", "Mask tint as 0xRRGGBB", 0, 0xffffff, 0x00c800,
                        kLive));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_BIT_MAP,
      g_param_spec_boolean("show-bit-map", "Show bit map",
                           "Between keyframes, tint pixels by residual activation bits (resqinfer "
                           "bit-map-layer): 1..4 bits yellow, 5..8 red, 0 bits untouched",
                           FALSE, kLive));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_KEYFRAME,
      g_param_spec_boolean("show-keyframe", "Show keyframe",
                           "Mark keyframes with a red dot and K in the top right corner", TRUE,
                           kLive));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_CAPTION,
      g_param_spec_boolean("show-caption", "Show caption",
                           "Caption with the bits, this frame's BOPs saved vs fp32 and latency",
                           TRUE, kLive));

  gst_element_class_set_static_metadata(
      element_class, "ResQ overlay", "Filter/Effect/Video",
      "Draws the GstResQMeta of resqinfer: the mask (alpha blend), optionally the Dynamic-ResQ "
      "bit-width map, a keyframe marker and a BOPs-saved caption. Buffers without the meta "
      "pass unchanged.\n"
      "Example: gst-launch-1.0 filesrc location=movie.avi ! decodebin ! videoconvert ! "
      "resqinfer model=selfie_segmentation.tflite calibration=calib.json ! resqoverlay "
      "show-bit-map=true ! videoconvert ! jpegenc ! avimux ! filesink location=out.avi",
      "resq developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_resq_overlay_transform_frame_ip);
}
