/* resqoverlay: draws resqinfer's GstResQMeta on the frame: the mask, and optionally the
 * Dynamic-ResQ bit-width map, a keyframe marker and a BOPs-saved caption. */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_RESQ_OVERLAY (gst_resq_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstResQOverlay, gst_resq_overlay, GST, RESQ_OVERLAY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (resqoverlay);

G_END_DECLS
