/* Registers resqinfer and resqoverlay (and GstResQMeta) with `plugin`: the plugin_init of
 * libgstresq.so, and of resq-server's statically registered copy. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

gboolean resq_register_elements (GstPlugin * plugin);

G_END_DECLS
