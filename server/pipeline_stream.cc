#include "server/pipeline_stream.h"

#include <gst/gst.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "pipeline/elements.h"
#include "pipeline/gstresqinfer.h"
#include "pipeline/gstresqmeta.h"
#include "server/proto_convert.h"

namespace resq::server {
namespace {

// Statically registered resqinfer: pipelines and Process calls then share this process's model
// cache (a plugin loaded from GST_PLUGIN_PATH would carry a cache of its own).
void init_gstreamer() {
  static std::once_flag once;
  std::call_once(once, [] {
    gst_init(nullptr, nullptr);
    gst_plugin_register_static(GST_VERSION_MAJOR, GST_VERSION_MINOR, "resq",
                               "ResQ elements built into resq-server", resq_register_elements,
                               RESQ_VERSION, "Proprietary", "resq", "resq",
                               "https://github.com/resq");
  });
}

std::string error_text(GstMessage* message) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " +
                     (error ? error->message : "unknown error");
  if (debug) text += std::string(" (") + debug + ")";
  g_clear_error(&error);
  g_free(debug);
  return text;
}

bool same_file(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a == b;
  std::error_code ec;
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

// Calls `visit` with every element of `bin`, those of nested bins included.
void for_each_element(GstBin* bin, const std::function<void(GstElement*)>& visit) {
  GstIterator* it = gst_bin_iterate_recurse(bin);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    visit(GST_ELEMENT(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

// The pad of an element that buffers pushed from `src` arrive at (owned), across bin edges:
// into a bin through its ghost pad's target, out of one from the ghost pad's internal pad to
// the ghost pad's own peer. nullptr when unlinked.
GstPad* receiving_pad(GstPad* src) {
  GstPad* peer = gst_pad_get_peer(src);
  while (peer && GST_IS_PROXY_PAD(peer)) {
    GstPad* next = nullptr;
    if (GST_IS_GHOST_PAD(peer)) {  // a bin's sink ghost pad
      next = gst_ghost_pad_get_target(GST_GHOST_PAD(peer));
    } else if (GstProxyPad* ghost = gst_proxy_pad_get_internal(GST_PROXY_PAD(peer))) {
      next = gst_pad_get_peer(GST_PAD(ghost));  // a bin's src ghost pad, seen from inside
      gst_object_unref(ghost);
    }
    gst_object_unref(peer);
    peer = next;
  }
  return peer;
}

// True when buffers leaving `from` reach `target` through linked pads.
bool feeds(GstElement* from, GstElement* target) {
  std::vector<GstElement*> todo = {from};
  std::set<GstElement*> seen;
  while (!todo.empty()) {
    GstElement* element = todo.back();
    todo.pop_back();
    if (element == target) return true;
    if (!seen.insert(element).second) continue;
    GstIterator* it = gst_element_iterate_src_pads(element);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
      if (GstPad* peer = receiving_pad(GST_PAD(g_value_get_object(&item)))) {
        if (GstElement* next = gst_pad_get_parent_element(peer)) {
          todo.push_back(next);
          gst_object_unref(next);  // the pipeline keeps it alive
        }
        gst_object_unref(peer);
      }
      g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
  }
  return false;
}

// The leaky `queue` elements of `bin` that feed `infer`: the frames they drop never reach it.
std::vector<GstElement*> leaky_queues_before(GstBin* bin, GstElement* infer) {
  std::vector<GstElement*> queues;
  for_each_element(bin, [&](GstElement* element) {
    GstElementFactory* factory = gst_element_get_factory(element);
    if (!factory || std::string(GST_OBJECT_NAME(factory)) != "queue") return;
    gint leaky = 0;
    g_object_get(element, "leaky", &leaky, nullptr);
    if (leaky != 0 && feeds(element, infer)) queues.push_back(element);
  });
  return queues;
}

// The fields of `settings` that differ from resqinfer's defaults: what a description sets.
v1::StreamConfig described_config(const StreamSettings& settings) {
  const StreamSettings defaults;
  v1::StreamConfig config;
  if (settings.scheme != defaults.scheme) config.set_scheme(scheme_name(settings.scheme));
  if (settings.bits != defaults.bits) config.set_bits(settings.bits);
  if (settings.keyframe_interval != defaults.keyframe_interval)
    config.set_keyframe_interval(settings.keyframe_interval);
  if (settings.tau != defaults.tau) config.set_tau(settings.tau);
  return config;
}

class PipelineStream final : public StreamTarget {
 public:
  // Takes the floating/owned `pipeline`; `infer` is its resqinfer.
  PipelineStream(GstElement* pipeline, GstElement* infer,
                 std::shared_ptr<const LoadedModel> model, bool loop)
      : pipeline_(pipeline), infer_(GST_RESQ_INFER(gst_object_ref(infer))), model_(std::move(model)),
        loop_(loop) {}

  ~PipelineStream() override {
    stop();
    gst_object_unref(infer_);
    gst_object_unref(pipeline_);
  }

  void set_config(const StreamSettings& settings, const StreamConfig& config) override {
    ResQStream::check(*model_, config);
    gst_resq_infer_set_settings(infer_, settings);
    std::lock_guard lock(config_mutex_);
    config_ = config;
  }
  StreamConfig config() const override {
    std::lock_guard lock(config_mutex_);
    return config_;
  }
  void force_keyframe() override { g_signal_emit_by_name(infer_, "force-keyframe"); }
  StreamMemory memory() const override {
    guint64 cache = 0, buffers = 0, scratch = 0;
    g_object_get(infer_, "keyframe-cache-bytes", &cache, "activation-buffer-bytes", &buffers,
                 "scratch-bytes", &scratch, nullptr);
    return {static_cast<size_t>(cache), static_cast<size_t>(buffers), static_cast<size_t>(scratch)};
  }

  // Counts frames into `entry` and starts playing; `on_end` runs on the bus thread when the
  // pipeline errors or ends (and may destroy this). Throws std::runtime_error with GStreamer's
  // error when it does not start.
  void start(StreamEntry* entry, std::function<void()> on_end) {
    {
      std::lock_guard lock(entry_mutex_);
      entry_ = entry;
    }
    GstPad* src = gst_element_get_static_pad(GST_ELEMENT(infer_), "src");
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, &PipelineStream::on_buffer, this, nullptr);
    gst_object_unref(src);
    // A full leaky queue signals "overrun" once per frame it drops (at its buffer limit; byte
    // or time limits may drop several at once): those frames arrived but never ran.
    for (GstElement* queue : leaky_queues_before(GST_BIN(pipeline_), GST_ELEMENT(infer_)))
      g_signal_connect(queue, "overrun", G_CALLBACK(&PipelineStream::on_overrun), this);
    GstStateChangeReturn ret = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    // ASYNC after the wait (a slow network source still connecting) is accepted: later errors
    // end the stream through the bus thread.
    if (ret != GST_STATE_CHANGE_FAILURE)
      ret = gst_element_get_state(pipeline_, nullptr, nullptr, 10 * GST_SECOND);
    if (ret == GST_STATE_CHANGE_FAILURE) {
      std::string why = "the pipeline did not start";
      GstBus* bus = gst_element_get_bus(pipeline_);
      if (GstMessage* error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
        why = error_text(error);
        gst_message_unref(error);
      }
      gst_object_unref(bus);
      stop();
      throw std::runtime_error(why);
    }
    on_end_ = std::move(on_end);
    bus_thread_ = std::thread([this] { watch_bus(); });
  }

  void stop() override {
    {
      std::lock_guard lock(entry_mutex_);
      entry_ = nullptr;
    }
    if (bus_thread_.joinable()) {
      if (bus_thread_.get_id() == std::this_thread::get_id()) {
        bus_thread_.detach();  // the stream is ending from its own bus thread (on_end_)
      } else {
        GstBus* bus = gst_element_get_bus(pipeline_);
        gst_bus_post(bus, gst_message_new_application(
                              GST_OBJECT(pipeline_), gst_structure_new_empty("resq-stop")));
        gst_object_unref(bus);
        bus_thread_.join();
      }
    }
    gst_element_set_state(pipeline_, GST_STATE_NULL);
  }

 private:
  static GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
    const GstResQMeta* meta = gst_buffer_get_resq_meta(GST_PAD_PROBE_INFO_BUFFER(info));
    if (meta) static_cast<PipelineStream*>(data)->count(*meta);
    return GST_PAD_PROBE_OK;
  }

  static void on_overrun(GstElement*, gpointer data) {
    auto* self = static_cast<PipelineStream*>(data);
    std::lock_guard lock(self->entry_mutex_);
    if (!self->entry_) return;
    self->entry_->count_received();
    self->entry_->count_dropped();
  }

  void count(const GstResQMeta& meta) {
    FrameCost cost;
    cost.keyframe = meta.keyframe;
    cost.keyframe_distance = meta.keyframe_distance;
    cost.bops = meta.bops;
    cost.policy_bops = meta.policy_bops;
    cost.bops_fp32 = meta.bops_fp32;
    cost.bops_w8a8 = meta.bops_w8a8;
    cost.latency_ms = meta.latency_ms;
    cost.cpu_ms = meta.cpu_ms;
    for (int bits = 0; bits < GST_RESQ_META_BIT_WIDTHS; ++bits)
      if (meta.pixels_per_bits[bits] != 0) cost.pixels_per_bits[bits] = meta.pixels_per_bits[bits];
    std::lock_guard lock(entry_mutex_);
    if (!entry_) return;
    entry_->count_received();
    entry_->count_processed(cost);
  }

  void watch_bus() {
    GstBus* bus = gst_element_get_bus(pipeline_);
    const auto types = static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
                                                   GST_MESSAGE_APPLICATION);
    bool ended = false;
    while (!ended) {
      GstMessage* message = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, types);
      switch (GST_MESSAGE_TYPE(message)) {
        case GST_MESSAGE_APPLICATION:  // stop()
          gst_message_unref(message);
          gst_object_unref(bus);
          return;
        case GST_MESSAGE_EOS:
          ended = !(loop_ && gst_element_seek_simple(
                                 pipeline_, GST_FORMAT_TIME,
                                 static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH |
                                                           GST_SEEK_FLAG_KEY_UNIT),
                                 0));
          if (ended) std::cerr << "resq-server: pipeline " << GST_OBJECT_NAME(pipeline_)
                               << ": end of stream\n";
          break;
        default:
          std::cerr << "resq-server: pipeline " << GST_OBJECT_NAME(pipeline_) << ": "
                    << error_text(message) << "\n";
          ended = true;
          break;
      }
      gst_message_unref(message);
    }
    gst_object_unref(bus);
    // Last: ending the stream may destroy this object (stop() then detaches this thread).
    std::function<void()> on_end = std::move(on_end_);
    on_end();
  }

  GstElement* const pipeline_;
  GstResQInfer* const infer_;
  const std::shared_ptr<const LoadedModel> model_;
  const bool loop_;
  std::function<void()> on_end_;
  std::thread bus_thread_;
  // Two locks: count() holds entry_mutex_ while the entry locks itself, and the entry calls
  // config() under its own lock.
  std::mutex entry_mutex_;
  StreamEntry* entry_ = nullptr;
  mutable std::mutex config_mutex_;
  StreamConfig config_;
};

// The one resqinfer in `bin`; throws std::invalid_argument when there are none or several.
GstElement* find_resqinfer(GstBin* bin) {
  GstElement* found = nullptr;
  int count = 0;
  for_each_element(bin, [&](GstElement* element) {
    if (!GST_IS_RESQ_INFER(element)) return;
    found = element;
    ++count;
  });
  if (count != 1)
    throw std::invalid_argument("description: needs exactly one resqinfer element, has " +
                                std::to_string(count));
  return found;  // owned by `bin`
}

// Parses `description` into a pipeline running the server's model. Throws
// std::invalid_argument naming the problem.
std::unique_ptr<PipelineStream> parse(const std::string& description, const std::string& name,
                                      std::shared_ptr<const LoadedModel> model, bool loop,
                                      StreamSettings* described) {
  init_gstreamer();
  GError* error = nullptr;
  GstElement* parsed = gst_parse_launch_full(description.c_str(), nullptr,
                                             GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (error) {
    const std::string why = error->message;
    g_clear_error(&error);
    if (parsed) gst_object_unref(parsed);
    throw std::invalid_argument("description: " + why);
  }
  GstElement* pipeline = parsed;
  if (!GST_IS_PIPELINE(parsed)) {  // a single element
    pipeline = gst_pipeline_new(nullptr);
    gst_bin_add(GST_BIN(pipeline), parsed);
  }
  gst_object_ref_sink(pipeline);
  gst_object_set_name(GST_OBJECT(pipeline), name.c_str());
  GstElement* infer = nullptr;
  try {
    infer = find_resqinfer(GST_BIN(pipeline));
    for (const auto& [property, path] : {std::pair<const char*, std::string>{"model", model->model_path},
                                         {"calibration", model->calibration_path}}) {
      gchar* value = nullptr;
      g_object_get(infer, property, &value, nullptr);
      const std::string set = value ? value : "";
      g_free(value);
      if (set.empty()) {
        g_object_set(infer, property, path.c_str(), nullptr);
      } else if (!same_file(set, path)) {
        throw std::invalid_argument(std::string("resqinfer ") + property + "=" + set +
                                    ": pipelines run the server's " + property + " (" +
                                    (path.empty() ? "none" : path) + ")");
      }
    }
  } catch (...) {
    gst_object_unref(pipeline);
    throw;
  }
  *described = gst_resq_infer_get_settings(GST_RESQ_INFER(infer));
  return std::make_unique<PipelineStream>(pipeline, infer, std::move(model), loop);
}

}  // namespace

grpc::Status create_pipeline(StreamRegistry& registry, const v1::CreatePipelineRequest& request,
                             std::shared_ptr<StreamEntry>* opened) {
  std::unique_ptr<PipelineStream> pipeline;
  StreamSettings described;
  try {
    pipeline = parse(request.description(), request.stream_id(), registry.model(), request.loop(),
                     &described);
  } catch (const std::invalid_argument& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  }
  v1::StreamConfig config = described_config(described);
  config.MergeFrom(request.config());
  PipelineStream* started = pipeline.get();
  const auto make_target = [&](const StreamSettings& settings, const StreamConfig& resolved) {
    pipeline->set_config(settings, resolved);
    return std::unique_ptr<StreamTarget>(std::move(pipeline));
  };
  std::shared_ptr<StreamEntry> entry;
  grpc::Status status = registry.open(request.stream_id(), "pipeline", config, make_target, &entry);
  if (!status.ok()) return status;
  std::weak_ptr<StreamEntry> weak = entry;
  try {
    started->start(entry.get(), [&registry, weak] {
      if (auto ended = weak.lock()) registry.close(*ended);
    });
  } catch (const std::runtime_error& e) {
    registry.close(*entry);
    return {grpc::StatusCode::INVALID_ARGUMENT, std::string("pipeline did not start: ") + e.what()};
  }
  *opened = std::move(entry);
  return grpc::Status::OK;
}

grpc::Status delete_pipeline(StreamRegistry& registry, const std::string& stream_id) {
  std::shared_ptr<StreamEntry> entry = registry.find(stream_id);
  if (!entry)
    return {grpc::StatusCode::NOT_FOUND, "stream_id: no open stream \"" + stream_id + "\""};
  if (entry->origin() != "pipeline")
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "stream_id: \"" + stream_id + "\" is a " + entry->origin() +
                " client's stream; it ends when its client closes it"};
  registry.close(*entry);
  return grpc::Status::OK;
}

}  // namespace resq::server
