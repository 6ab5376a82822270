// The `resq` GStreamer plugin (libgstresq.so): resqinfer and resqoverlay.
#include <gst/gst.h>

#include "pipeline/elements.h"

#ifndef PACKAGE
#define PACKAGE "resq"
#endif

static gboolean plugin_init(GstPlugin* plugin) { return resq_register_elements(plugin); }

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, resq,
                  "Residual Quantization (ResQ) video segmentation", plugin_init, RESQ_VERSION,
                  "Proprietary", PACKAGE, "https://github.com/resq")
