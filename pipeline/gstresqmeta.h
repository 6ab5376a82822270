/* GstResQMeta: what resqinfer found on a frame, attached to the frame's buffer.
 *
 * Applications read it without linking the plugin: gst_buffer_get_resq_meta() below looks the
 * API type up by name (the plugin registers it when it loads). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_RESQ_META_API_NAME "GstResQMetaAPI"
#define GST_RESQ_META_MAX_RANK 8
/* pixels_per_bits is indexed by activation bit-width 0..32. */
#define GST_RESQ_META_BIT_WIDTHS 33

typedef struct {
  GstMeta meta;

  /* The mask: the model's first output, `rank` dims in `shape`, row-major floats (owned). */
  gchar *output_name;
  guint rank;
  gint64 shape[GST_RESQ_META_MAX_RANK];
  gfloat *mask;
  /* The same data as a mask_height x mask_width probability map (its non-1 dims). */
  guint mask_height;
  guint mask_width;

  /* Frame stats (FrameCost of the engine). */
  guint64 frame;             /* index since the element started */
  gboolean keyframe;
  gint64 keyframe_distance;  /* frames since the last keyframe; 0 on keyframes */
  gchar *bits;               /* the configuration that ran, e.g. "W8A8->W8A{0,4,8}" */
  gdouble bops;              /* bit operations of the linear layers (+ Dynamic-ResQ policy) */
  gdouble policy_bops;       /* the policy's share of bops */
  gdouble bops_fp32;         /* reference: the same MACs at 32 x 32 bits */
  gdouble bops_w8a8;         /* reference: the same MACs at 8 x 8 bits */
  gdouble latency_ms;        /* the engine's wall-clock for this frame */
  gdouble cpu_ms;            /* the CPU time of the thread that ran it (below latency_ms when
                              * the thread waited for a core) */
  /* Linear-layer input pixels per activation bit-width, summed over the layers. */
  gint64 pixels_per_bits[GST_RESQ_META_BIT_WIDTHS];

  /* Per-pixel activation bits of one layer (resqinfer's bit-map-layer), row-major
   * bit_map_height x bit_map_width (owned); NULL when not recorded. */
  guint8 *bit_map;
  guint bit_map_height;
  guint bit_map_width;

  /* Frame skipping repeated the last keyframe's outputs: the network did not run (the frame
   * was not even converted to the model input). */
  gboolean repeated;
} GstResQMeta;

GType gst_resq_meta_api_get_type (void);
const GstMetaInfo *gst_resq_meta_get_info (void);

/* A zeroed meta on `buffer` (writable); fill it with the setters below and the plain fields. */
GstResQMeta *gst_buffer_add_resq_meta (GstBuffer * buffer);
/* Copies: `data` holds the product of `shape` floats. rank <= GST_RESQ_META_MAX_RANK. */
void gst_resq_meta_set_mask (GstResQMeta * meta, const gchar * output_name, guint rank,
    const gint64 * shape, const gfloat * data);
void gst_resq_meta_set_bits (GstResQMeta * meta, const gchar * bits);
void gst_resq_meta_set_bit_map (GstResQMeta * meta, guint height, guint width,
    const guint8 * data);

static inline GstResQMeta *
gst_buffer_get_resq_meta (GstBuffer * buffer)
{
  GType api = g_type_from_name (GST_RESQ_META_API_NAME);
  return api ? (GstResQMeta *) gst_buffer_get_meta (buffer, api) : NULL;
}

G_END_DECLS
