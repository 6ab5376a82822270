#include "pipeline/gstresqmeta.h"

#include <gst/video/video.h>

#include <cstring>

namespace {

gboolean resq_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  auto* m = reinterpret_cast<GstResQMeta*>(meta);
  // Everything after the GstMeta header: pointers NULL, counts 0.
  std::memset(reinterpret_cast<char*>(m) + sizeof(GstMeta), 0, sizeof(*m) - sizeof(GstMeta));
  return TRUE;
}

void resq_meta_free(GstMeta* meta, GstBuffer*) {
  auto* m = reinterpret_cast<GstResQMeta*>(meta);
  g_free(m->output_name);
  g_free(m->mask);
  g_free(m->bits);
  g_free(m->bit_map);
}

gsize element_count(guint rank, const gint64* shape) {
  gsize n = 1;
  for (guint i = 0; i < rank; ++i) n *= static_cast<gsize>(shape[i]);
  return n;
}

// The mask and bit map are relative to the frame, so copies and scaled copies keep them as is.
gboolean resq_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer) {
  if (!GST_META_TRANSFORM_IS_COPY(type) && type != gst_video_meta_transform_scale_get_quark())
    return FALSE;
  const auto* from = reinterpret_cast<const GstResQMeta*>(meta);
  GstResQMeta* to = gst_buffer_add_resq_meta(dest);
  if (!to) return FALSE;
  GstResQMeta copy = *from;
  copy.meta = to->meta;
  *to = copy;
  to->output_name = g_strdup(from->output_name);
  to->bits = g_strdup(from->bits);
  to->mask = static_cast<gfloat*>(
      g_memdup2(from->mask, element_count(from->rank, from->shape) * sizeof(gfloat)));
  to->bit_map = static_cast<guint8*>(
      g_memdup2(from->bit_map, gsize{from->bit_map_height} * from->bit_map_width));
  return TRUE;
}

}  // namespace

GType gst_resq_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar* tags[] = {GST_META_TAG_VIDEO_STR, nullptr};
  if (g_once_init_enter(&type)) {
    GType registered = gst_meta_api_type_register(GST_RESQ_META_API_NAME, tags);
    g_once_init_leave(&type, registered);
  }
  return type;
}

const GstMetaInfo* gst_resq_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* registered =
        gst_meta_register(gst_resq_meta_api_get_type(), "GstResQMeta", sizeof(GstResQMeta),
                          resq_meta_init, resq_meta_free, resq_meta_transform);
    g_once_init_leave(&info, registered);
  }
  return info;
}

GstResQMeta* gst_buffer_add_resq_meta(GstBuffer* buffer) {
  return reinterpret_cast<GstResQMeta*>(
      gst_buffer_add_meta(buffer, gst_resq_meta_get_info(), nullptr));
}

void gst_resq_meta_set_mask(GstResQMeta* meta, const gchar* output_name, guint rank,
                            const gint64* shape, const gfloat* data) {
  g_return_if_fail(rank <= GST_RESQ_META_MAX_RANK);
  g_free(meta->output_name);
  g_free(meta->mask);
  meta->output_name = g_strdup(output_name);
  meta->rank = rank;
  meta->mask_height = meta->mask_width = 1;
  bool width_seen = false;
  for (guint i = rank; i-- > 0;) {  // the last two dims other than 1: height x width
    meta->shape[i] = shape[i];
    if (shape[i] == 1) continue;
    if (!width_seen) {
      meta->mask_width = static_cast<guint>(shape[i]);
      width_seen = true;
    } else {
      meta->mask_height *= static_cast<guint>(shape[i]);
    }
  }
  meta->mask = static_cast<gfloat*>(g_memdup2(data, element_count(rank, shape) * sizeof(gfloat)));
}

void gst_resq_meta_set_bits(GstResQMeta* meta, const gchar* bits) {
  g_free(meta->bits);
  meta->bits = g_strdup(bits);
}

void gst_resq_meta_set_bit_map(GstResQMeta* meta, guint height, guint width, const guint8* data) {
  g_free(meta->bit_map);
  meta->bit_map_height = height;
  meta->bit_map_width = width;
  meta->bit_map = static_cast<guint8*>(g_memdup2(data, gsize{height} * width));
}
