// One video stream through a quantized model: the executor run with a per-layer scheme on the
// linear layers (fp32, frame quantization, ResQ, Dynamic-ResQ) or frame skipping, the stream's
// KeyframeCache and the cost of every frame. Sessions share one immutable QuantizedModel.
//
// Dynamic-ResQ cost: a residual pixel chosen at b bits carries b x b_w x (its share of the
// layer's MACs, pixel_layout.h). The policy (Eq. 10-11) is counted as if it quantized every
// residual element with every pool quantizer: one 8x8-bit MAC per element per pool entry (64
// BOPs), at the precision of the keyframe activations it works next to. (PixelBitPolicy skips
// most of that work with the same decisions; the count stays that of the paper's policy.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "engine/executor.h"
#include "engine/quant/bit_config.h"
#include "engine/resq/frame_cost.h"
#include "engine/resq/keyframe_cache.h"
#include "engine/resq/pixel_bit_policy.h"
#include "engine/resq/quantized_model.h"
#include "engine/resq/scatter_sums.h"

namespace resq {

struct StreamConfig {
  BitConfig bits;     // scheme and bit-widths, e.g. BitConfig::parse("W8A8->W4A4")
  int period = 4;     // T: a keyframe every T frames (ResQ, Dynamic-ResQ, skip)
  double tau = 3.0;   // Dynamic-ResQ threshold on the error-bound gap (Eq. 11)
};

class StreamSession : private LinearLayerRunner {
 public:
  // Throws std::invalid_argument / std::out_of_range for an invalid config (T < 1, tau < 0, an
  // empty pool, bits without weights or a calibration).
  StreamSession(std::shared_ptr<const QuantizedModel> model, StreamConfig config);

  // Runs one frame and returns the model's outputs; its cost is then in last_cost().
  // On an error the keyframe state is dropped, so the next frame is a keyframe.
  std::vector<Tensor> process(std::span<const Tensor> inputs);
  // The same with the inputs made on demand: a frame that skipping repeats (its outputs the
  // keyframe's, FrameCost::repeated) never calls `inputs`, so it costs no preprocessing either.
  // Which frames those are is decided here, once per frame, after any set_config from another
  // thread. What `inputs` throws reaches the caller with the stream as it was (no frame ran).
  std::vector<Tensor> process(const std::function<std::span<const Tensor>()>& inputs);

  // Live configuration, callable from any thread while frames run. Validated here: on error it
  // throws and the old config stays. Takes effect between frames: scheme, residual bits, pool
  // tau and T from the next frame (a scheme change restarts at a keyframe; a smaller T than the
  // frames since the last keyframe makes the next frame one); keyframe bits from the next
  // keyframe (frame quantization: the next frame).
  void set_config(const StreamConfig& config);
  // The next frame is a keyframe.
  void force_keyframe();
  // The period that starts at the next keyframe is `frames` frames shorter (at least one frame
  // long); the periods after it are T again. Streams that start together (a server's cameras
  // reconnecting after a restart) would otherwise run their keyframes on the same frames
  // forever; a server shortens each new stream's first period by a different amount. Call
  // before the frames (like the setters below). Throws std::invalid_argument for frames < 0.
  void shorten_next_period(int64_t frames);
  StreamConfig config() const;  // the latest accepted
  // What the constructor and set_config validate, without a session (no executor is built).
  static void check_config(const QuantizedModel& model, const StreamConfig& config);

  // Records, on every frame, the activation bit-width of each input pixel of linear layer `li`
  // (PixelLayout order; std::nullopt stops): the policy's decisions (the paper's Fig. 6).
  void record_bit_map(std::optional<size_t> li);
  // Of the last frame; empty when not recording.
  const std::vector<uint8_t>& bit_map() const { return bit_map_; }

  const FrameCost& last_cost() const { return cost_; }
  const KeyframeCache& cache() const { return cache_; }
  // The executor's own activation buffers (Executor::buffer_bytes: change tracking's; other
  // frames use the thread's, ValueBuffers::thread_bytes).
  int64_t buffer_bytes() const { return executor_.buffer_bytes(); }
  // Everything else the stream keeps between frames: the quantized layers' and the Dynamic-ResQ
  // policy's work buffers (sized by the largest layer that used them), the executor's change
  // masks. With cache().bytes() and buffer_bytes(), the stream's memory.
  int64_t scratch_bytes() const;

  // Integer kernels (on by default) compute the quantized convolutions' sums in int32 instead of
  // float; the outputs are the same bit for bit (see int_gemm.h). Off is for tests and benches.
  void set_integer_kernels(bool on) { integer_kernels_ = on; }
  // Fused epilogues (on by default) apply the element-wise nodes after a layer inside it, in
  // cache; off, the executor runs them as nodes. Same outputs; off is for tests.
  void set_fused_epilogues(bool on) { fused_epilogues_ = on; }
  // Sparse residuals (on by default): Dynamic-ResQ convs compute only the outputs a non-zero
  // bit-width pixel reaches; off, every group's sums are dense. Same outputs; off is for tests.
  void set_sparse_residuals(bool on) { sparse_residuals_ = on; }
  // Change tracking (off by default): on Dynamic-ResQ residual frames with a 0-bit first pool
  // entry, each layer's policy reads only the pixels of its input that may differ from the
  // keyframe's, and the layer writes only the outputs that may (and those the last frame
  // changed); the others keep the keyframe's values (Executor::set_tracking). Same outputs.
  // Off by default: its bookkeeping still costs more than it saves (docs/performance.md).
  void set_change_tracking(bool on) { change_tracking_ = on; }
  // Keyframe inputs from outputs (on by default): a ResQ or Dynamic-ResQ keyframe does not keep
  // a layer's input x_k where it is the previous linear layer's output through the activation
  // fused after it and nothing else (Executor::input_from_linear); residual frames make it from
  // that layer's z_k through the activation (the policy as it reads). Same outputs, a smaller
  // KeyframeCache (20.3 MB instead of 24.4 on the default model) and fewer copies at
  // keyframes; off is for tests.
  void set_keyframe_inputs_from_outputs(bool on) { inputs_from_outputs_ = on; }

  // Per-graph-node time over the frames since profiling was turned on (Executor::set_node_timing).
  // Also times the phases of Dynamic-ResQ residual frames (FrameCost::phases_ms).
  void set_node_timing(bool on) {
    executor_.set_node_timing(on);
    policy_.set_timing(on);
    clock_.set_on(on);
    layer_phases_.assign(on ? model_->linear_nodes().size() : 0, FrameCost::Phases{});
  }
  // The same phases by linear layer, summed over the residual frames since node timing was
  // turned on (empty while it is off).
  const std::vector<FrameCost::Phases>& layer_phases() const { return layer_phases_; }
  const std::vector<double>& node_ms() const { return executor_.node_ms(); }
  // With change tracking too, the share of each node's output that may differ from the
  // keyframe's, summed over changed_runs() residual frames (Executor::node_changed).
  const std::vector<double>& node_changed() const { return executor_.node_changed(); }
  int64_t changed_runs() const { return executor_.changed_runs(); }

 private:
  void run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override {
    run_linear_fused(node, op, in, out, Epilogue{});
  }
  const ChangeMask* output_changes() const override {
    return tracking_ ? &out_changes_ : nullptr;
  }
  // out_changes_ = the output pixels that a pixel of non-zero bits reaches (Dynamic-ResQ).
  void note_output_changes(size_t li, const Shape& out_shape);
  // The activation / skip-add after a layer (`post`) runs on its output while in cache where the
  // layer's kernel allows, else in place after it; a keyframe's z_k is kept before it.
  bool fuses_epilogue() const override { return fused_epilogues_; }
  void run_linear_fused(size_t node, const Op& op, std::span<const Tensor* const> in,
                        std::span<Tensor* const> out, const Epilogue& post) override;
  // op(q_a(x), w) with the layer's own bias when `with_bias`, then `post`; q_a = nullptr keeps x.
  void run_quantized(const Op& op, std::span<const Tensor* const> in, std::span<Tensor* const> out,
                     const Tensor& x, const UniformQuantizer* q_a, const Tensor& w, bool with_bias,
                     const Epilogue& post);
  // Integer form (QuantizedModel::has_integer_form) of the current frame's layer at weight bits
  // w_bits <= 8: y = acc * s_a * s_w[channel] + (bias or z_k), acc = levels(x) * levels(w).
  bool integer_form(size_t li, int w_bits) const;
  // The layer's integer kernel when it is on and its sums are exact at these bits; else nullptr.
  const IntegerConv* integer_conv(size_t li, int a_bits, int w_bits) const;
  // acc (shaped `shape`) = the layer's sums over `levels`: the integer kernel where there is
  // one and its sums are exact, else the float op on the levels (the simulation).
  void sum_levels(size_t li, const Op& op, std::span<const Tensor* const> in, const Tensor& levels,
                  int a_bits, int w_bits, const Shape& shape, Tensor& acc);
  // y = post(sums of the input's levels scaled as scale_add does), the scaling and `post`
  // applied while in cache: by the integer kernel where there is one, else by the op's fused
  // epilogue. `input` holds levels, or with `quantize` values whose q_a levels are meant (the
  // integer kernel then maps them as it packs them: no levels pass), with `minus` too the
  // levels of input - minus (a residual; mapped by the 1x1 integer kernels as they pack).
  void sum_scaled(size_t li, const Op& op, std::span<const Tensor* const> in, const Tensor& input,
                  bool quantize, const UniformQuantizer& q_a, int w_bits, const Tensor* base,
                  const float* bias, Tensor& y, const Epilogue& post,
                  const Tensor* minus = nullptr);
  // y = acc * (s_a * s_w[c]) + (base element-wise, or bias[c], or 0); y may alias acc or base.
  void scale_add(size_t li, const Tensor& acc, const UniformQuantizer& q_a, int w_bits,
                 const Tensor* base, const float* bias, Tensor& y);
  void set_multipliers(size_t li, const UniformQuantizer& q_a, int w_bits, int64_t channels);
  // Dynamic-ResQ residual of a 2-D Conv layer (batch 1): y = z_k plus the sums of only the
  // outputs whose receptive field holds a pixel of a non-zero bit-width group. With a `region`
  // (of y's plane, holding every such output), y is written there only.
  void sparse_groups(size_t li, const Op& op, std::span<const Tensor* const> in, const Tensor& z_k,
                     Tensor& y, const ChangeMask* region);
  // The same for a ConvTranspose with non-overlapping tiles (QuantizedModel::transpose_tile):
  // each pixel of a group adds its sums to its own tile of outputs.
  void sparse_tiles(size_t li, const Tensor& z_k, Tensor& y, const ChangeMask* region);
  // y = z_k in `region` (nullptr: everywhere).
  void start_from(const Tensor& z_k, Tensor& y, const ChangeMask* region);
  // The layer's fused nodes on y in `region` (nullptr: everywhere).
  void apply_epilogue(const Epilogue& post, Tensor& y, const ChangeMask* region);
  // group_ (pixels) and group_index_ (their candidate indices) = the pixels that chose pool
  // entry k; false when none did.
  bool collect_group(size_t k);
  // columns_ [c_in, group] = the levels of the group's pixels at pool entry k.
  void group_columns(size_t k, int64_t c_in);
  struct ChannelView {
    int64_t outer, channels, inner;
  };
  ChannelView channel_view(size_t li, const Tensor& y) const;
  // Dynamic-ResQ on the residual x - x_k: the policy picks a pool quantizer per pixel (policy_,
  // pool_q_); returns the layer's BOPs and the policy's.
  double choose_residual_bits(size_t li, double macs, const Tensor& x,
                              const PixelBitPolicy::KeyframeInput& x_k, const ChangeMask* may_differ);
  // Layer li's x_k as the last keyframe kept it; OpError when its shape is not input x's.
  PixelBitPolicy::KeyframeInput keyframe_input(size_t li, const Tensor& x) const;
  // The same whole, for what reads x_k directly: the kept x_k, or one made into derived_x_k_.
  const Tensor& whole_keyframe_input(size_t li, const PixelBitPolicy::KeyframeInput& x_k);
  // activation_ (sized) = the levels of the pixels that chose pool entry k, 0 elsewhere; false
  // (and activation_ untouched) when no pixel did.
  bool mask_group(size_t li, size_t k);
  // activation_ (sized) = q_k(residual) per pixel (float form).
  void write_chosen_residual(size_t li);
  // ResQ / Dynamic-ResQ frame between keyframes: linear layers see residuals.
  bool residual_frame() const { return active_.bits.uses_keyframes() && !keyframe_; }

  std::shared_ptr<const QuantizedModel> model_;
  mutable std::mutex mutex_;  // guards requested_ and force_
  StreamConfig requested_;
  bool force_ = false;

  StreamConfig active_;           // config of the frame being processed
  int key_w_ = 0, key_a_ = 0;     // latched at the last keyframe
  Executor executor_;
  KeyframeCache cache_;
  bool keyframe_ = true;          // the frame being processed is a keyframe
  int64_t frames_since_key_ = 0;  // frames processed since the last keyframe
  int64_t period_cut_ = 0;        // frames by which the current period is shorter than T
  int64_t next_period_cut_ = 0;   // the same for the period that starts at the next keyframe
  FrameCost cost_;
  Tensor activation_;             // quantized layer input or its levels (scratch)
  Tensor derived_x_k_;            // x_k made from the previous layer's z_k (scratch)
  bool integer_kernels_ = true;
  bool fused_epilogues_ = true;
  bool sparse_residuals_ = true;
  bool change_tracking_ = false;
  bool inputs_from_outputs_ = true;
  // Per linear layer: the linear layer whose output, through its fused activation, is this
  // one's input and nothing else's (Executor::input_from_linear).
  std::vector<std::optional<size_t>> input_from_;
  bool tracking_ = false;           // this frame tracks changes
  ChangeMask out_changes_;            // of the last layer, while tracking_
  std::vector<int64_t> active_pixels_;  // scratch: pixels at non-zero bits
  std::vector<int64_t> entry_pixels_;  // scratch: candidates per pool entry
  IntegerConvScratch conv_scratch_;
  std::vector<float> multipliers_;  // s_a * s_w per output channel (scratch)
  PixelBitPolicy policy_;            // Dynamic-ResQ: the last layer's decisions
  PhaseClock clock_;                 // cost_.phases_ms, with node timing
  std::vector<FrameCost::Phases> layer_phases_;  // by linear layer, with node timing
  std::vector<std::optional<UniformQuantizer>> pool_q_;  // Dynamic-ResQ: the layer's pool
  Tensor acc_;                                   // integer-form sums (scratch)
  std::vector<int64_t> group_, group_index_;     // sparse_groups scratch: pixels, candidates
  std::vector<int64_t> outputs_, origins_;       // sparse_groups scratch: output positions
  std::vector<uint8_t> mark_;
  std::vector<float> columns_, sparse_acc_;      // sparse_groups scratch: gathered in and out
  std::vector<float> sparse_image_;              // sparse_groups scratch, all zeros between uses
  ScatterSums scatter_sums_;                     // sparse_groups: few columns, depthwise
  std::optional<size_t> bit_map_layer_;
  std::vector<uint8_t> bit_map_;
};

}  // namespace resq
