/* resqinfer: runs a segmentation model with Residual Quantization on every frame and attaches
 * the mask and the frame's cost as GstResQMeta. */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RESQ_INFER (gst_resq_infer_get_type ())
G_DECLARE_FINAL_TYPE (GstResQInfer, gst_resq_infer, GST, RESQ_INFER, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (resqinfer);

G_END_DECLS
