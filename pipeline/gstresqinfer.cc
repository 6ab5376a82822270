#include "pipeline/gstresqinfer.h"

#include <gst/video/video.h>

#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "engine/quant/bit_config.h"
#include "pipeline/bgr_converter.h"
#include "pipeline/gstresqmeta.h"
#include "engine/stream/model_cache.h"
#include "engine/stream/resq_stream.h"
#include "engine/stream/stream_settings.h"
#include "engine/value_buffers.h"

GST_DEBUG_CATEGORY_STATIC(gst_resq_infer_debug);
#define GST_CAT_DEFAULT gst_resq_infer_debug

namespace {

using resq::QuantScheme;
using resq::StreamSettings;

// The element's C++ state, owned by the GObject instance.
struct InferState {
  // Properties; guarded by the object lock.
  std::string model_path;
  std::string calibration_path;
  StreamSettings requested;  // as set
  StreamSettings running;    // last accepted by the stream
  bool settings_changed = false;
  std::string stream_id;  // as set; empty: upstream's stream-start id
  std::string upstream_stream_id;
  guint stats_interval = 1;
  gint bit_map_layer = 0;
  gint keyframe_phase = 0;  // the first period is this many frames shorter
  // Statistics since start(); guarded by the object lock.
  guint64 frames = 0;
  guint64 keyframes = 0;
  guint64 keyframe_cache_bytes = 0;
  guint64 activation_buffer_bytes = 0;
  guint64 shared_buffer_bytes = 0;
  guint64 scratch_bytes = 0;
  double bops = 0;
  double bops_fp32 = 0;

  // Created in start() / set_info(); used by the streaming thread. `stream` is also reached
  // from force-keyframe (any thread) under the object lock; ResQStream::force_keyframe is
  // thread-safe.
  std::shared_ptr<resq::ResQStream> stream;
  std::unique_ptr<resq::gst::BgrConverter> converter;
};

}  // namespace

struct _GstResQInfer {
  GstVideoFilter parent;
  InferState* state;
};

enum {
  PROP_0,
  PROP_MODEL,
  PROP_CALIBRATION,
  PROP_SCHEME,
  PROP_BITS,
  PROP_KEYFRAME_INTERVAL,
  PROP_TAU,
  PROP_STREAM_ID,
  PROP_STATS_INTERVAL,
  PROP_BIT_MAP_LAYER,
  PROP_KEYFRAME_PHASE,
  PROP_FRAMES,
  PROP_KEYFRAMES,
  PROP_BOPS_SAVED_RATIO,
  PROP_MODEL_USERS,
  PROP_KEYFRAME_CACHE_BYTES,
  PROP_ACTIVATION_BUFFER_BYTES,
  PROP_SHARED_BUFFER_BYTES,
  PROP_SCRATCH_BYTES,
};

enum {
  SIGNAL_FORCE_KEYFRAME,
  LAST_SIGNAL,
};
static guint resq_infer_signals[LAST_SIGNAL];

#define RESQ_INFER_FORMATS "{ RGB, BGR, RGBx, BGRx, RGBA, BGRA, I420, NV12 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(RESQ_INFER_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(RESQ_INFER_FORMATS)));

#define gst_resq_infer_parent_class parent_class
G_DEFINE_TYPE(GstResQInfer, gst_resq_infer, GST_TYPE_VIDEO_FILTER)
GST_ELEMENT_REGISTER_DEFINE(resqinfer, "resqinfer", GST_RANK_NONE, GST_TYPE_RESQ_INFER)

#define GST_TYPE_RESQ_SCHEME (gst_resq_scheme_get_type())
static GType gst_resq_scheme_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(QuantScheme::kFloat), "No quantization (bits ignored)", "fp32"},
      {static_cast<gint>(QuantScheme::kFrame), "Frame quantization: keyframe bits on every frame",
       "frame"},
      {static_cast<gint>(QuantScheme::kResQ), "ResQ: bits like W8A8->W4A4", "resq"},
      {static_cast<gint>(QuantScheme::kDynamicResQ),
       "Dynamic-ResQ: bits like W8A8->W8A{0,4,8}, per-pixel residual bits chosen with tau",
       "dynamic"},
      {static_cast<gint>(QuantScheme::kSkip),
       "Frame skipping: the network at the keyframe bits on keyframes only", "skip"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstResQScheme", values));
  return type;
}

static void post_stats_message(GstResQInfer* self, const GstResQMeta& meta, GstClockTime pts,
                               const std::string& stream_id, guint64 frames, guint64 keyframes,
                               double saved) {
  GstStructure* pixels = gst_structure_new_empty("pixels-per-bits");
  for (int bits = 0; bits < GST_RESQ_META_BIT_WIDTHS; ++bits) {
    if (meta.pixels_per_bits[bits] == 0) continue;
    const std::string field = "a" + std::to_string(bits);
    gst_structure_set(pixels, field.c_str(), G_TYPE_INT64, meta.pixels_per_bits[bits], nullptr);
  }
  GstStructure* s = gst_structure_new(
      "resq-stats", "stream-id", G_TYPE_STRING, stream_id.c_str(), "frame", G_TYPE_UINT64,
      meta.frame, "pts", G_TYPE_UINT64, pts, "keyframe", G_TYPE_BOOLEAN, meta.keyframe,
      "keyframe-distance", G_TYPE_INT64, meta.keyframe_distance, "repeated",
      G_TYPE_BOOLEAN, meta.repeated, "bits", G_TYPE_STRING, meta.bits,
      "bops", G_TYPE_DOUBLE, meta.bops, "policy-bops", G_TYPE_DOUBLE, meta.policy_bops, "bops-fp32",
      G_TYPE_DOUBLE, meta.bops_fp32, "bops-w8a8", G_TYPE_DOUBLE, meta.bops_w8a8, "latency-ms",
      G_TYPE_DOUBLE, meta.latency_ms, "cpu-ms", G_TYPE_DOUBLE, meta.cpu_ms, "pixels-per-bits",
      GST_TYPE_STRUCTURE, pixels, "frames", G_TYPE_UINT64, frames, "keyframes", G_TYPE_UINT64,
      keyframes, "bops-saved-ratio", G_TYPE_DOUBLE, saved, nullptr);
  gst_structure_free(pixels);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// Applies property changes made since the last frame. A config the stream rejects is reported
// as a warning and the properties go back to the running config.
static void apply_settings(GstResQInfer* self) {
  InferState& st = *self->state;
  GST_OBJECT_LOCK(self);
  const bool changed = st.settings_changed;
  const StreamSettings requested = st.requested;
  st.settings_changed = false;
  GST_OBJECT_UNLOCK(self);
  if (!changed || requested == st.running) return;
  try {
    st.stream->set_config(resq::resolve_stream_config(requested));
    st.running = requested;
    GST_INFO_OBJECT(self, "running %s", st.stream->config().bits.to_string().c_str());
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Ignoring the new settings, keeping the running ones: %s", e.what()),
                        (nullptr));
    GST_OBJECT_LOCK(self);
    if (!st.settings_changed) st.requested = st.running;
    GST_OBJECT_UNLOCK(self);
  }
}

static gboolean gst_resq_infer_start(GstBaseTransform* trans) {
  auto* self = GST_RESQ_INFER(trans);
  InferState& st = *self->state;
  GST_OBJECT_LOCK(self);
  const std::string model_path = st.model_path;
  const std::string calibration_path = st.calibration_path;
  const StreamSettings settings = st.requested;
  const gint bit_map_layer = st.bit_map_layer;
  const gint keyframe_phase = st.keyframe_phase;
  st.settings_changed = false;
  st.frames = st.keyframes = st.keyframe_cache_bytes = st.activation_buffer_bytes = 0;
  st.shared_buffer_bytes = 0;
  st.scratch_bytes = 0;
  st.bops = st.bops_fp32 = 0;
  GST_OBJECT_UNLOCK(self);

  if (model_path.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No model: set the model property"),
                      ("model is a .tflite or .onnx segmentation model file"));
    return FALSE;
  }
  for (const std::string* path : {&model_path, &calibration_path}) {
    if (path->empty() || std::filesystem::exists(*path)) continue;
    const char* what = path == &model_path ? "Model" : "Calibration";
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("%s file %s not found", what, path->c_str()),
                      ("property %s", path == &model_path ? "model" : "calibration"));
    return FALSE;
  }
  std::shared_ptr<const resq::LoadedModel> model;
  try {
    model = resq::acquire_model(model_path, calibration_path);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("Cannot use model %s with calibration %s: %s", model_path.c_str(),
                       calibration_path.empty() ? "(none)" : calibration_path.c_str(), e.what()),
                      (nullptr));
    return FALSE;
  }
  try {
    std::optional<size_t> layer;
    if (bit_map_layer >= 0) layer = static_cast<size_t>(bit_map_layer);
    auto stream = std::make_shared<resq::ResQStream>(
        model, resq::resolve_stream_config(settings), layer);
    stream->shorten_next_period(keyframe_phase);
    GST_OBJECT_LOCK(self);
    st.stream = std::move(stream);
    st.running = settings;
    GST_OBJECT_UNLOCK(self);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                      ("Invalid settings for %s: %s", model_path.c_str(), e.what()), (nullptr));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "%s: input %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT ", output %s",
                  model_path.c_str(), model->image.width, model->image.height,
                  model->output_name.c_str());
  return TRUE;
}

static gboolean gst_resq_infer_stop(GstBaseTransform* trans) {
  auto* self = GST_RESQ_INFER(trans);
  std::shared_ptr<resq::ResQStream> stream;
  GST_OBJECT_LOCK(self);
  stream = std::move(self->state->stream);  // released outside the lock
  GST_OBJECT_UNLOCK(self);
  self->state->converter.reset();
  return TRUE;
}

// Upstream insisting on a format we do not take (a capsfilter, a harness): say which and why
// before negotiation fails. Only a warning: accept-caps queries may also be probes.
static gboolean gst_resq_infer_accept_caps(GstBaseTransform* trans, GstPadDirection direction,
                                           GstCaps* caps) {
  if (GST_BASE_TRANSFORM_CLASS(parent_class)->accept_caps(trans, direction, caps)) return TRUE;
  GstVideoInfo info;
  if (direction == GST_PAD_SINK && gst_caps_is_fixed(caps) && gst_video_info_from_caps(&info, caps))
    GST_ELEMENT_WARNING(trans, CORE, NEGOTIATION,
                        ("resqinfer does not take %s video; it takes " RESQ_INFER_FORMATS
                         " (put videoconvert in front)",
                         gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info))),
                        (nullptr));
  return FALSE;
}

static gboolean gst_resq_infer_set_info(GstVideoFilter* filter, GstCaps*, GstVideoInfo* in_info,
                                        GstCaps*, GstVideoInfo*) {
  auto* self = GST_RESQ_INFER(filter);
  try {
    self->state->converter = std::make_unique<resq::gst::BgrConverter>(*in_info);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("%s", e.what()), (nullptr));
    return FALSE;
  }
  return TRUE;
}

static GstFlowReturn gst_resq_infer_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  auto* self = GST_RESQ_INFER(trans);
  auto* filter = GST_VIDEO_FILTER(trans);
  InferState& st = *self->state;
  if (!st.converter) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps before the first buffer"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  apply_settings(self);

  // Only read: the pixels pass through untouched, the buffer only gains a meta.
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &filter->in_info, buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Cannot map the video frame"), (nullptr));
    return GST_FLOW_ERROR;
  }
  try {
    // A frame that skipping repeats is not converted.
    st.stream->process([&] { return st.converter->convert(frame); });
  } catch (const std::exception& e) {
    gst_video_frame_unmap(&frame);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Inference failed: %s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  gst_video_frame_unmap(&frame);

  const resq::ResQStream& stream = *st.stream;
  const resq::FrameCost& cost = stream.cost();
  GstResQMeta* meta = gst_buffer_add_resq_meta(buf);
  const resq::Tensor& mask = stream.mask();
  const resq::Shape& shape = mask.shape();
  gst_resq_meta_set_mask(meta, stream.model().output_name.c_str(), static_cast<guint>(shape.size()),
                         shape.data(), mask.f32());
  gst_resq_meta_set_bits(meta, st.stream->config().bits.to_string().c_str());
  if (!stream.bit_map().empty())
    gst_resq_meta_set_bit_map(meta, static_cast<guint>(stream.bit_map_height()),
                              static_cast<guint>(stream.bit_map_width()), stream.bit_map().data());
  meta->keyframe = cost.keyframe;
  meta->keyframe_distance = cost.keyframe_distance;
  meta->repeated = cost.repeated;
  meta->bops = cost.bops;
  meta->policy_bops = cost.policy_bops;
  meta->bops_fp32 = cost.bops_fp32;
  meta->bops_w8a8 = cost.bops_w8a8;
  meta->latency_ms = cost.latency_ms;
  meta->cpu_ms = cost.cpu_ms;
  for (const auto& [bits, pixels] : cost.pixels_per_bits)
    if (bits >= 0 && bits < GST_RESQ_META_BIT_WIDTHS) meta->pixels_per_bits[bits] = pixels;

  GST_OBJECT_LOCK(self);
  meta->frame = st.frames++;
  if (cost.keyframe) ++st.keyframes;
  st.keyframe_cache_bytes = stream.keyframe_cache_bytes();
  st.activation_buffer_bytes = static_cast<guint64>(stream.activation_buffer_bytes());
  st.shared_buffer_bytes = static_cast<guint64>(resq::ValueBuffers::thread_bytes());
  st.scratch_bytes = static_cast<guint64>(stream.scratch_bytes());
  st.bops += cost.bops;
  st.bops_fp32 += cost.bops_fp32;
  const guint64 frames = st.frames, keyframes = st.keyframes;
  const double saved = st.bops_fp32 > 0 ? 1.0 - st.bops / st.bops_fp32 : 0.0;
  const guint interval = st.stats_interval;
  const std::string stream_id = !st.stream_id.empty()            ? st.stream_id
                                : !st.upstream_stream_id.empty() ? st.upstream_stream_id
                                                                 : GST_OBJECT_NAME(self);
  GST_OBJECT_UNLOCK(self);
  if (interval > 0 && meta->frame % interval == 0)
    post_stats_message(self, *meta, GST_BUFFER_PTS(buf), stream_id, frames, keyframes, saved);
  return GST_FLOW_OK;
}

static void force_keyframe(GstResQInfer* self) {
  GST_OBJECT_LOCK(self);
  if (self->state->stream) self->state->stream->force_keyframe();
  GST_OBJECT_UNLOCK(self);
}

// A new stream, a seek (flush) or an upstream key-unit request start at a keyframe: the kept
// keyframe belongs to other content.
static gboolean gst_resq_infer_sink_event(GstBaseTransform* trans, GstEvent* event) {
  auto* self = GST_RESQ_INFER(trans);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_STREAM_START: {
      const gchar* id = nullptr;
      gst_event_parse_stream_start(event, &id);
      GST_OBJECT_LOCK(self);
      self->state->upstream_stream_id = id ? id : "";
      GST_OBJECT_UNLOCK(self);
      force_keyframe(self);
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      force_keyframe(self);
      break;
    default:
      if (gst_video_event_is_force_key_unit(event)) force_keyframe(self);
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

static void gst_resq_infer_set_property(GObject* object, guint prop_id, const GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_RESQ_INFER(object);
  InferState& st = *self->state;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL:
      st.model_path = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_CALIBRATION:
      st.calibration_path = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_SCHEME:
      st.requested.scheme = static_cast<QuantScheme>(g_value_get_enum(value));
      st.settings_changed = true;
      break;
    case PROP_BITS:
      st.requested.bits = g_value_get_string(value) ? g_value_get_string(value) : "";
      st.settings_changed = true;
      break;
    case PROP_KEYFRAME_INTERVAL:
      st.requested.keyframe_interval = g_value_get_int(value);
      st.settings_changed = true;
      break;
    case PROP_TAU:
      st.requested.tau = g_value_get_double(value);
      st.settings_changed = true;
      break;
    case PROP_STREAM_ID:
      st.stream_id = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_STATS_INTERVAL:
      st.stats_interval = g_value_get_uint(value);
      break;
    case PROP_BIT_MAP_LAYER:
      st.bit_map_layer = g_value_get_int(value);
      break;
    case PROP_KEYFRAME_PHASE:
      st.keyframe_phase = g_value_get_int(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_resq_infer_get_property(GObject* object, guint prop_id, GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_RESQ_INFER(object);
  InferState& st = *self->state;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string(value, st.model_path.c_str());
      break;
    case PROP_CALIBRATION:
      g_value_set_string(value, st.calibration_path.c_str());
      break;
    case PROP_SCHEME:
      g_value_set_enum(value, static_cast<gint>(st.requested.scheme));
      break;
    case PROP_BITS:
      g_value_set_string(value, st.requested.bits.c_str());
      break;
    case PROP_KEYFRAME_INTERVAL:
      g_value_set_int(value, st.requested.keyframe_interval);
      break;
    case PROP_TAU:
      g_value_set_double(value, st.requested.tau);
      break;
    case PROP_STREAM_ID:
      g_value_set_string(value, st.stream_id.c_str());
      break;
    case PROP_STATS_INTERVAL:
      g_value_set_uint(value, st.stats_interval);
      break;
    case PROP_BIT_MAP_LAYER:
      g_value_set_int(value, st.bit_map_layer);
      break;
    case PROP_KEYFRAME_PHASE:
      g_value_set_int(value, st.keyframe_phase);
      break;
    case PROP_FRAMES:
      g_value_set_uint64(value, st.frames);
      break;
    case PROP_KEYFRAMES:
      g_value_set_uint64(value, st.keyframes);
      break;
    case PROP_BOPS_SAVED_RATIO:
      g_value_set_double(value, st.bops_fp32 > 0 ? 1.0 - st.bops / st.bops_fp32 : 0.0);
      break;
    case PROP_KEYFRAME_CACHE_BYTES:
      g_value_set_uint64(value, st.keyframe_cache_bytes);
      break;
    case PROP_ACTIVATION_BUFFER_BYTES:
      g_value_set_uint64(value, st.activation_buffer_bytes);
      break;
    case PROP_SHARED_BUFFER_BYTES:
      g_value_set_uint64(value, st.shared_buffer_bytes);
      break;
    case PROP_SCRATCH_BYTES:
      g_value_set_uint64(value, st.scratch_bytes);
      break;
    case PROP_MODEL_USERS: {
      // Every started resqinfer holds its model through one ResQStream.
      const auto users = st.stream ? st.stream->model_users() : 0;
      g_value_set_uint(value, static_cast<guint>(users));
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

resq::StreamSettings gst_resq_infer_get_settings(GstResQInfer* self) {
  GST_OBJECT_LOCK(self);
  const StreamSettings settings = self->state->requested;
  GST_OBJECT_UNLOCK(self);
  return settings;
}

void gst_resq_infer_set_settings(GstResQInfer* self, const resq::StreamSettings& settings) {
  GST_OBJECT_LOCK(self);
  self->state->requested = settings;
  self->state->settings_changed = true;
  GST_OBJECT_UNLOCK(self);
  for (const char* name : {"scheme", "bits", "keyframe-interval", "tau"})
    g_object_notify(G_OBJECT(self), name);
}

static void gst_resq_infer_finalize(GObject* object) {
  delete GST_RESQ_INFER(object)->state;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_resq_infer_init(GstResQInfer* self) {
  self->state = new InferState();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_resq_infer_class_init(GstResQInferClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_resq_infer_debug, "resqinfer", 0, "ResQ inference");
  gst_resq_meta_api_get_type();

  gobject_class->set_property = gst_resq_infer_set_property;
  gobject_class->get_property = gst_resq_infer_get_property;
  gobject_class->finalize = gst_resq_infer_finalize;

  constexpr auto kLive = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_PLAYING);
  constexpr auto kReady = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY);
  constexpr auto kStat = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Segmentation model file (.tflite or .onnx) with one image input; "
                          "elements with the same model and calibration share one loaded copy",
                          nullptr, kReady));
  g_object_class_install_property(
      gobject_class, PROP_CALIBRATION,
      g_param_spec_string("calibration", "Calibration",
                          "Calibration file of the model (JSON, from `resq calibrate`); needed by "
                          "every scheme but fp32 and fp32->skip",
                          nullptr, kReady));
  g_object_class_install_property(
      gobject_class, PROP_SCHEME,
      g_param_spec_enum("scheme", "Scheme",
                        "Which part of bits runs: fp32 ignores bits; frame and skip use its "
                        "keyframe part (W8A8->W4A4 as W8A8, W8A8->skip); resq and dynamic need "
                        "bits of that scheme. Contradictions are rejected",
                        GST_TYPE_RESQ_SCHEME, static_cast<gint>(QuantScheme::kDynamicResQ), kLive));
  g_object_class_install_property(
      gobject_class, PROP_BITS,
      g_param_spec_string("bits", "Bits",
                          "Bit configuration in the paper's notation: fp32, W8A8, W8A8->W4A4, "
                          "W8A8->W8A{0,4,8}, W8A8->skip, fp32->skip (set scheme to match)",
                          "W8A8->W8A{0,4,8}", kLive));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_INTERVAL,
      g_param_spec_int("keyframe-interval", "Keyframe interval",
                       "T: a keyframe every T frames (resq, dynamic, skip); a change applies "
                       "from the next frame, counted from the last keyframe",
                       1, G_MAXINT, 4, kLive));
  g_object_class_install_property(
      gobject_class, PROP_TAU,
      g_param_spec_double("tau", "Tau",
                          "Dynamic-ResQ threshold on the per-pixel error-bound gain of the next "
                          "bit-width (higher: fewer bits); 1..10 is the useful range",
                          0.0, G_MAXDOUBLE, 3.0, kLive));
  g_object_class_install_property(
      gobject_class, PROP_STREAM_ID,
      g_param_spec_string("stream-id", "Stream id",
                          "Name of this stream in resq-stats messages (default: upstream's "
                          "stream-start id, else the element name)",
                          nullptr, kLive));
  g_object_class_install_property(
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint("stats-interval", "Stats interval",
                        "Post a resq-stats element message every N frames (0: never)", 0, G_MAXUINT,
                        1, kLive));
  g_object_class_install_property(
      gobject_class, PROP_BIT_MAP_LAYER,
      g_param_spec_int("bit-map-layer", "Bit-map layer",
                       "Linear layer (0 = the first) whose per-pixel activation bits go into "
                       "the meta's bit map, for resqoverlay show-bit-map; -1: none. The layer's "
                       "input must be one NCHW image",
                       -1, G_MAXINT, 0, kReady));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_PHASE,
      g_param_spec_int("keyframe-phase", "Keyframe phase",
                       "The second keyframe comes this many frames early (the first period is "
                       "max(1, T - phase) frames), later ones every T: give the resqinfer "
                       "elements of streams that start together phases 0, 1, ..., T-1 so their "
                       "keyframes do not fall on the same frames",
                       0, G_MAXINT, 0, kReady));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES,
      g_param_spec_uint64("frames", "Frames", "Frames processed since start", 0, G_MAXUINT64, 0,
                          kStat));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAMES,
      g_param_spec_uint64("keyframes", "Keyframes", "Keyframes among them", 0, G_MAXUINT64, 0,
                          kStat));
  g_object_class_install_property(
      gobject_class, PROP_BOPS_SAVED_RATIO,
      g_param_spec_double("bops-saved-ratio", "BOPs saved ratio",
                          "1 - BOPs / fp32 BOPs, summed over the frames since start", -G_MAXDOUBLE,
                          1.0, 0.0, kStat));
  g_object_class_install_property(
      gobject_class, PROP_MODEL_USERS,
      g_param_spec_uint("model-users", "Model users",
                        "Started elements in this process sharing this element's loaded model "
                        "(0 when not started)",
                        0, G_MAXUINT, 0, kStat));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_CACHE_BYTES,
      g_param_spec_uint64("keyframe-cache-bytes", "Keyframe cache bytes",
                          "Memory of the stream's kept keyframe activations after the last frame",
                          0, G_MAXUINT64, 0, kStat));
  g_object_class_install_property(
      gobject_class, PROP_ACTIVATION_BUFFER_BYTES,
      g_param_spec_uint64("activation-buffer-bytes", "Activation buffer bytes",
                          "Memory of the stream's own buffers for the layers' outputs after the "
                          "last frame: change tracking's (0 without it; see shared-buffer-bytes)",
                          0, G_MAXUINT64, 0, kStat));
  g_object_class_install_property(
      gobject_class, PROP_SHARED_BUFFER_BYTES,
      g_param_spec_uint64("shared-buffer-bytes", "Shared buffer bytes",
                          "Memory of the layers' output buffers of the streaming thread after the "
                          "last frame, shared by the resqinfer elements that run on it (one set "
                          "per model)",
                          0, G_MAXUINT64, 0, kStat));
  g_object_class_install_property(
      gobject_class, PROP_SCRATCH_BYTES,
      g_param_spec_uint64("scratch-bytes", "Scratch bytes",
                          "Memory of the stream's work buffers (quantized layers, Dynamic-ResQ "
                          "policy, operators) after the last frame; with keyframe-cache-bytes "
                          "and activation-buffer-bytes, the stream's memory",
                          0, G_MAXUINT64, 0, kStat));

  /**
   * GstResQInfer::force-keyframe:
   * Action signal: the next frame is a keyframe.
   */
  resq_infer_signals[SIGNAL_FORCE_KEYFRAME] = g_signal_new_class_handler(
      "force-keyframe", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(force_keyframe),
      nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  gst_element_class_set_static_metadata(
      element_class, "ResQ inference", "Filter/Analyzer/Video",
      "Runs a segmentation model with Residual Quantization (ResQ, ICCV 2023): keyframes at "
      "high precision (e.g. W8A8), the next keyframe-interval - 1 frames only the per-layer "
      "residual at low precision (Dynamic-ResQ: per-pixel bits from a pool, threshold tau). "
      "Attaches GstResQMeta (mask, keyframe flag, BOPs, bit-width pixel counts, latency) to "
      "every buffer and posts resq-stats element messages. Pixels pass through unchanged.\n"
      "Example: gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! "
      "resqinfer model=selfie_segmentation.tflite calibration=calib.json scheme=dynamic "
      "bits=\"W8A8->W8A{0,4,8}\" ! resqoverlay ! videoconvert ! jpegenc ! avimux ! "
      "filesink location=out.avi\n"
      "Live: gst-launch-1.0 videotestsrc is-live=true ! videoconvert ! resqinfer "
      "model=selfie_segmentation.tflite calibration=calib.json ! resqoverlay show-bit-map=true "
      "! videoconvert ! fakesink sync=true",
      "resq developers");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR(gst_resq_infer_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_resq_infer_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_resq_infer_sink_event);
  trans_class->accept_caps = GST_DEBUG_FUNCPTR(gst_resq_infer_accept_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_resq_infer_transform_ip);
  trans_class->transform_ip_on_passthrough = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_resq_infer_set_info);

  gst_type_mark_as_plugin_api(GST_TYPE_RESQ_SCHEME, static_cast<GstPluginAPIFlags>(0));
}
