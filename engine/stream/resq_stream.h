// One video stream through ResQ: BGR8 frames in, the model's mask output and the frame's cost
// out. Wraps the engine's StreamSession (keyframe state, live config) and its preprocessing;
// the model it runs is shared (model_cache.h), the session is this stream's own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "engine/resq/stream_session.h"
#include "engine/tensor.h"
#include "engine/stream/model_cache.h"

namespace resq {

class ResQStream {
 public:
  // Throws std::invalid_argument for a config the model cannot run (see set_config), and
  // std::out_of_range for a bit-map layer that is not a linear layer with one NCHW image input.
  ResQStream(std::shared_ptr<const LoadedModel> model, const StreamConfig& config,
             std::optional<size_t> bit_map_layer);

  // Runs one 8-bit BGR frame of any size (resized to the model input). Throws resq::ModelError
  // when the engine fails; the next frame is then a keyframe.
  // A frame that skipping repeats (cost().repeated) is not preprocessed.
  void process(const cv::Mat& bgr);
  // The same, the frame made by `bgr` only when the network runs it: a frame that skipping
  // repeats is never made (resq-server decodes no such frame). What `bgr` throws leaves the
  // stream as it was (StreamSession::process).
  void process(const std::function<cv::Mat()>& bgr);
  const Tensor& mask() const { return outputs_.at(0); }
  const FrameCost& cost() const { return session_.last_cost(); }
  // Per-pixel activation bits of the bit-map layer on the last frame, row-major
  // bit_map_height() x bit_map_width(); empty when not recording.
  const std::vector<uint8_t>& bit_map() const { return session_.bit_map(); }
  int bit_map_height() const { return bit_map_height_; }
  int bit_map_width() const { return bit_map_width_; }

  // Validated here (also that quantized bits have a calibration): throws
  // std::invalid_argument naming the problem and keeps the old config. Takes effect on the
  // next frame (StreamSession::set_config).
  void set_config(const StreamConfig& config);
  // What the constructor and set_config validate, for a stream not created yet.
  static void check(const LoadedModel& model, const StreamConfig& config);
  void force_keyframe() { session_.force_keyframe(); }
  // StreamSession::shorten_next_period: keyframes of streams that start together kept apart.
  void shorten_next_period(int64_t frames) { session_.shorten_next_period(frames); }
  StreamConfig config() const { return session_.config(); }
  const LoadedModel& model() const { return *model_; }
  size_t keyframe_cache_bytes() const { return session_.cache().bytes(); }
  int64_t activation_buffer_bytes() const { return session_.buffer_bytes(); }
  // StreamSession::scratch_bytes: the work buffers; with the two above, the stream's memory.
  int64_t scratch_bytes() const { return session_.scratch_bytes(); }
  // Per-graph-node profile (StreamSession::set_node_timing), for benchmarks.
  void set_node_timing(bool on) { session_.set_node_timing(on); }
  // StreamSession::set_integer_kernels, for benchmarks.
  void set_integer_kernels(bool on) { session_.set_integer_kernels(on); }
  // StreamSession::set_change_tracking, for benchmarks.
  void set_change_tracking(bool on) { session_.set_change_tracking(on); }
  const std::vector<double>& node_ms() const { return session_.node_ms(); }
  const std::vector<double>& node_changed() const { return session_.node_changed(); }
  const std::vector<FrameCost::Phases>& layer_phases() const { return session_.layer_phases(); }
  int64_t changed_runs() const { return session_.changed_runs(); }
  // Streams (in this process) running the same loaded model, this one included.
  long model_users() const { return model_.use_count(); }

 private:
  std::shared_ptr<const LoadedModel> model_;
  StreamSession session_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> outputs_;
  int bit_map_height_ = 0;
  int bit_map_width_ = 0;
};

}  // namespace resq
