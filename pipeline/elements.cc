#include "pipeline/elements.h"

#include "pipeline/gstresqinfer.h"
#include "pipeline/gstresqmeta.h"
#include "pipeline/gstresqoverlay.h"

gboolean resq_register_elements(GstPlugin* plugin) {
  // Registered up front so that applications can find the meta by name once the plugin loads.
  gst_resq_meta_get_info();
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(resqinfer, plugin);
  ok |= GST_ELEMENT_REGISTER(resqoverlay, plugin);
  return ok;
}
