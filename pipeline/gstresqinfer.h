/* resqinfer: runs a segmentation model with Residual Quantization on every frame and attaches
 * the mask and the frame's cost as GstResQMeta. */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RESQ_INFER (gst_resq_infer_get_type ())
G_DECLARE_FINAL_TYPE (GstResQInfer, gst_resq_infer, GST, RESQ_INFER, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (resqinfer);

G_END_DECLS

#ifdef __cplusplus
#include "engine/stream/stream_settings.h"

/* The scheme, bits, keyframe-interval and tau properties together, for C++ applications such
 * as resq-server: a set takes effect as one change before the next frame (setting the
 * properties one by one may let a frame see a half-changed, contradictory config). */
resq::StreamSettings gst_resq_infer_get_settings (GstResQInfer * self);
void gst_resq_infer_set_settings (GstResQInfer * self, const resq::StreamSettings & settings);
#endif
