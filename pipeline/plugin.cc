// The `resq` GStreamer plugin (libgstresq.so): resqinfer and resqoverlay.
#include <gst/gst.h>

#include "pipeline/gstresqinfer.h"
#include "pipeline/gstresqmeta.h"
#include "pipeline/gstresqoverlay.h"

#ifndef PACKAGE
#define PACKAGE "resq"
#endif

static gboolean plugin_init(GstPlugin* plugin) {
  // Registered up front so that applications can find the meta by name once the plugin loads.
  gst_resq_meta_get_info();
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(resqinfer, plugin);
  ok |= GST_ELEMENT_REGISTER(resqoverlay, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, resq,
                  "Residual Quantization (ResQ) video segmentation", plugin_init, RESQ_VERSION,
                  "Proprietary", PACKAGE, "https://github.com/resq")
