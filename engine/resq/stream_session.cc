#include "engine/resq/stream_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/capacity_bytes.h"
#include "engine/error.h"
#include "engine/thread_cpu.h"
#include "engine/ops/conv.h"
#include "engine/ops/gemm.h"
#include "engine/resq/receptive_field.h"

namespace resq {
namespace {

// Adds to `layer` what the frame's phases gained while it lived: one layer's share.
class LayerPhases {
 public:
  LayerPhases(const FrameCost::Phases& frame, FrameCost::Phases& layer)
      : frame_(frame), start_(frame), layer_(layer) {}
  ~LayerPhases() {
    for (const auto& [name, field] : kPhaseFields) layer_.*field += frame_.*field - start_.*field;
  }
  LayerPhases(const LayerPhases&) = delete;
  LayerPhases& operator=(const LayerPhases&) = delete;

 private:
  const FrameCost::Phases& frame_;
  const FrameCost::Phases start_;
  FrameCost::Phases& layer_;
};

// std::nullopt for "near float" bit-widths, which leave activations as they are.
std::optional<UniformQuantizer> residual_quantizer(const QuantizedModel& m, size_t li, int bits) {
  if (QuantizedModel::passes_through(bits)) return std::nullopt;
  return m.residual_activation(li, bits);
}

}  // namespace

StreamSession::StreamSession(std::shared_ptr<const QuantizedModel> model, StreamConfig config)
    : model_(std::move(model)),
      requested_(config),
      active_(config),
      executor_(model_->graph()),
      cache_(model_->linear_nodes().size()) {
  check_config(*model_, config);
  for (size_t node : model_->linear_nodes()) {
    const std::optional<size_t> from = executor_.input_from_linear(node);
    input_from_.push_back(from ? std::optional<size_t>(model_->linear_index(*from)) : std::nullopt);
  }
}

void StreamSession::check_config(const QuantizedModel& model, const StreamConfig& c) {
  if (c.period < 1)
    throw std::invalid_argument("keyframe period T must be >= 1, got " + std::to_string(c.period));
  if (!(c.tau >= 0))
    throw std::invalid_argument("tau must be >= 0, got " + std::to_string(c.tau));
  const BitConfig& b = c.bits;
  const bool residuals = b.scheme == QuantScheme::kResQ || b.scheme == QuantScheme::kDynamicResQ;
  if (residuals && b.res_a_pool.empty())
    throw std::invalid_argument(b.to_string() + ": the residual activation pool is empty");
  if (b.scheme == QuantScheme::kFloat || model.linear_nodes().empty()) return;
  // Every layer is calibrated for the same bit-widths: checking layer 0 checks them all.
  model.weight(0, b.key_w);
  if (!QuantizedModel::passes_through(b.key_a)) model.key_activation(0, b.key_a);
  if (residuals) {
    model.weight(0, b.res_w);
    for (int a : b.res_a_pool) residual_quantizer(model, 0, a);
  }
}

void StreamSession::set_config(const StreamConfig& config) {
  check_config(*model_, config);
  std::lock_guard lock(mutex_);
  requested_ = config;
}

void StreamSession::force_keyframe() {
  std::lock_guard lock(mutex_);
  force_ = true;
}

void StreamSession::shorten_next_period(int64_t frames) {
  if (frames < 0)
    throw std::invalid_argument("a period cannot be shortened by " + std::to_string(frames) +
                                " frames");
  next_period_cut_ = frames;
}

int64_t StreamSession::scratch_bytes() const {
  const size_t bytes =
      activation_.capacity() + derived_x_k_.capacity() + acc_.capacity() + out_changes_.bytes() +
      capacity_bytes(active_pixels_) + capacity_bytes(entry_pixels_) + conv_scratch_.bytes() +
      capacity_bytes(multipliers_) + policy_.bytes() + capacity_bytes(group_) +
      capacity_bytes(group_index_) + capacity_bytes(outputs_) + capacity_bytes(origins_) +
      capacity_bytes(mark_) + capacity_bytes(columns_) + capacity_bytes(sparse_acc_) +
      capacity_bytes(sparse_image_) + scatter_sums_.bytes() + capacity_bytes(bit_map_) +
      executor_.scratch_bytes();
  return static_cast<int64_t>(bytes);
}

void StreamSession::record_bit_map(std::optional<size_t> li) {
  if (li && *li >= model_->linear_nodes().size())
    throw std::out_of_range("no linear layer " + std::to_string(*li) + " (the model has " +
                            std::to_string(model_->linear_nodes().size()) + ")");
  bit_map_layer_ = li;
  bit_map_.clear();
}

StreamConfig StreamSession::config() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

std::vector<Tensor> StreamSession::process(std::span<const Tensor> inputs) {
  return process([inputs] { return inputs; });
}

std::vector<Tensor> StreamSession::process(
    const std::function<std::span<const Tensor>()>& make_inputs) {
  bool forced;
  {
    std::lock_guard lock(mutex_);
    if (requested_.bits.scheme != active_.bits.scheme) cache_.clear();
    active_ = requested_;
    forced = force_;
    force_ = false;
  }
  const bool keyed = active_.bits.uses_keyframes();
  // T applies from the next frame (the distance counts from the last keyframe); key bits wait for
  // a keyframe, whose cached outputs they made.
  keyframe_ = keyed && (forced || !cache_.ready() ||
                        frames_since_key_ >= std::max<int64_t>(1, active_.period - period_cut_));
  const bool repeats = active_.bits.scheme == QuantScheme::kSkip && !keyframe_;
  std::span<const Tensor> inputs;
  if (!repeats) {
    try {
      inputs = make_inputs();
    } catch (...) {  // no frame ran: the state stays as it was, a forced keyframe still due
      if (forced) force_keyframe();
      throw;
    }
  }
  // The engine's time starts here: making the inputs (decoding, preprocessing) is the caller's.
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_ms();
  if (keyframe_ || !keyed) {
    key_w_ = active_.bits.key_w;
    key_a_ = active_.bits.key_a;
  }
  cost_ = FrameCost{};
  cost_.keyframe = keyframe_;
  cost_.keyframe_distance = keyframe_ || !keyed ? 0 : frames_since_key_;
  if (bit_map_layer_)  // a skipped frame leaves it at 0 bits
    bit_map_.assign(static_cast<size_t>(model_->pixels(*bit_map_layer_).pixels()), 0);
  std::vector<Tensor> out;
  if (repeats) {
    // Frame skipping: the network does not run; every linear input pixel "sends nothing".
    out = cache_.outputs();
    cost_.repeated = true;
    cost_.pixels_per_bits[0] = model_->total_pixels();
  } else if (active_.bits.scheme == QuantScheme::kFloat) {
    // No runner: the executor may fuse element-wise nodes into the convolutions.
    out = executor_.run(inputs);
    cost_.bops = static_cast<double>(model_->total_macs()) * 32 * 32;
    cost_.pixels_per_bits[32] = model_->total_pixels();
    if (bit_map_layer_) std::fill(bit_map_.begin(), bit_map_.end(), 32);
  } else {
    // Keyframes keep every value for the residual frames after them, which write only the
    // pixels that may differ from the keyframe's (and restore those the last frame changed).
    const bool skips_pixels = change_tracking_ && active_.bits.scheme == QuantScheme::kDynamicResQ &&
                              active_.bits.res_a_pool.front() == 0;
    tracking_ = skips_pixels && residual_frame();
    using Tracking = Executor::Tracking;
    executor_.set_tracking(!skips_pixels ? Tracking::kOff
                           : tracking_   ? Tracking::kChanges
                                         : Tracking::kReference);
    try {
      out = executor_.run(inputs, this);
    } catch (...) {
      cache_.clear();  // a half-written keyframe must not serve as reference
      frames_since_key_ = 0;
      throw;
    }
  }
  if (keyframe_) {
    if (active_.bits.scheme == QuantScheme::kSkip) cache_.set_outputs(out);
    cache_.mark_ready();
    frames_since_key_ = 0;
    period_cut_ = std::exchange(next_period_cut_, 0);
  }
  ++frames_since_key_;
  const double macs = static_cast<double>(model_->total_macs());
  cost_.bops_fp32 = macs * 32 * 32;
  cost_.bops_w8a8 = macs * 8 * 8;
  cost_.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  cost_.cpu_ms = thread_cpu_ms() - cpu_start;
  return out;
}

void StreamSession::run_quantized(const Op& op, std::span<const Tensor* const> in,
                                  std::span<Tensor* const> out, const Tensor& x,
                                  const UniformQuantizer* q_a, const Tensor& w, bool with_bias,
                                  const Epilogue& post) {
  const Tensor* layer_input = &x;
  if (q_a) {
    activation_.resize(x.shape());
    q_a->apply(x.floats(), activation_.floats());
    layer_input = &activation_;
  }
  std::vector<const Tensor*> args(in.begin(), in.end());
  args[0] = layer_input;
  args[1] = &w;
  if (!with_bias && args.size() > 2) args[2] = nullptr;
  op.run_fused(args, out, post);
}

void StreamSession::run_linear_fused(size_t node, const Op& op, std::span<const Tensor* const> in,
                                     std::span<Tensor* const> out, const Epilogue& post) {
  const size_t li = model_->linear_index(node);
  const double macs = static_cast<double>(model_->macs(li));
  const BitConfig& b = active_.bits;
  const Tensor& x = *in[0];
  const int64_t pixels = model_->pixels(li).pixels();
  const bool mapped = bit_map_layer_ == li;

  if (!residual_frame()) {
    // Frame quantization, and keyframes: z_k = q(x_k; Phi_a) * q(w; Phi_w) + bias.
    std::optional<UniformQuantizer> q_a;
    if (!QuantizedModel::passes_through(key_a_)) q_a = model_->key_activation(li, key_a_);
    Epilogue e = post;
    if (keyframe_ && b.scheme != QuantScheme::kSkip) {
      KeyframeCache::Layer& l = cache_.layer(li);
      // x_k can be made from the previous layer's z_k when it is read (when the epilogues ran
      // fused, as they made x from it): the Dynamic-ResQ policy does so as it reads, ResQ
      // (whose kernels read x_k whole) into a buffer first (whole_keyframe_input).
      l.x_k_from_previous = inputs_from_outputs_ && fused_epilogues_ && input_from_[li];
      if (l.x_k_from_previous)
        l.x_k = Tensor{};
      else
        l.x_k = x;
      l.z_k.resize(out[0]->shape());
      e.keep = l.z_k.f32();  // z_k is the layer's output before the fused nodes
    }
    if (q_a && integer_form(li, key_w_)) {
      const float* bias = in.size() > 2 && in[2] ? in[2]->f32() : nullptr;
      sum_scaled(li, op, in, x, true, *q_a, key_w_, nullptr, bias, *out[0], e);
    } else {
      run_quantized(op, in, out, x, q_a ? &*q_a : nullptr, model_->weight(li, key_w_), true, e);
    }
    cost_.bops += macs * key_w_ * key_a_;
    cost_.pixels_per_bits[key_a_] += pixels;
    if (mapped) std::fill(bit_map_.begin(), bit_map_.end(), key_a_);
    return;
  }
  // Residual frame (Eq. 5): z_t = q(x_t - x_k; Theta_a) * q(w; Theta_w) + z_k.
  const KeyframeCache::Layer& l = cache_.layer(li);
  const PixelBitPolicy::KeyframeInput x_k = keyframe_input(li, x);
  Tensor& y = *out[0];
  std::optional<LayerPhases> timed;  // only with node timing on (benchmarks)
  if (!layer_phases_.empty()) timed.emplace(cost_.phases_ms, layer_phases_[li]);
  if (b.scheme == QuantScheme::kDynamicResQ) {
    FrameCost::Phases& ph = cost_.phases_ms;
    cost_.bops += choose_residual_bits(
        li, macs, x, x_k, executor_.changes(executor_.graph().nodes[node].inputs[0]));
    clock_.start();
    const bool batch_1 = model_->pixels(li).outer == 1;
    // With change tracking the sparse paths write y only in its write region: elsewhere it holds
    // the keyframe's values already. The other paths write all of y.
    ChangeMask write_region;
    const ChangeMask* region = nullptr;
    if (tracking_) {
      note_output_changes(li, y.shape());
      write_region = executor_.write_region(out_changes_);
      if (batch_1 && write_region.plane_of(y.shape())) region = &write_region;
      ph.tracking += clock_.lap();
    }
    activation_.resize(x.shape());
    auto finish = [&](const ChangeMask* where) {
      ph.sums += clock_.lap();
      apply_epilogue(post, y, where);
      ph.epilogue += clock_.lap();
    };
    if (integer_form(li, b.res_w) && model_->conv_window(li) && batch_1) {
      sparse_groups(li, op, in, l.z_k, y, region);
      return finish(region);
    }
    // Tiles' sums are length-C dot products: exact in float at <= 8 bits (as the dense op's).
    if (integer_form(li, b.res_w) && model_->transpose_tile(li) && batch_1 &&
        sparse_residuals_ && float_sums_exact(model_->pixels(li).channels, 8, b.res_w)) {
      sparse_tiles(li, l.z_k, y, region);
      return finish(region);
    }
    if (integer_form(li, b.res_w)) {
      // One sum per bit-width group (the pixels of other groups are 0 in it), added to z_k.
      const Tensor* base = &l.z_k;
      for (size_t k = 0; k < pool_q_.size(); ++k) {
        if (pool_q_[k]->bits() == 0 || !mask_group(li, k)) continue;
        sum_levels(li, op, in, activation_, pool_q_[k]->bits(), b.res_w, y.shape(), acc_);
        scale_add(li, acc_, *pool_q_[k], b.res_w, base, nullptr, y);
        base = &y;
      }
      if (base != &y) y = l.z_k;  // every pixel at 0 bits
      return finish(nullptr);
    }
    write_chosen_residual(li);
  } else {
    const int res_a = b.res_a_pool.front();
    cost_.bops += macs * b.res_w * res_a;
    cost_.pixels_per_bits[res_a] += pixels;
    if (mapped) std::fill(bit_map_.begin(), bit_map_.end(), res_a);
    const std::optional<UniformQuantizer> q_r = residual_quantizer(*model_, li, res_a);
    const Tensor& kept = whole_keyframe_input(li, x_k);
    if (q_r && integer_form(li, b.res_w)) {
      sum_scaled(li, op, in, x, true, *q_r, b.res_w, &l.z_k, nullptr, y, post, &kept);
      return;
    }
    activation_.resize(x.shape());
    const float* xt = x.f32();
    const float* xk = kept.f32();
    float* d = activation_.f32();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] = xt[i] - xk[i];
    if (q_r) q_r->apply(activation_.floats());
  }
  run_quantized(op, in, out, activation_, nullptr, model_->weight(li, b.res_w), false, Epilogue{});
  float* z = y.f32();
  const float* zk = l.z_k.f32();
  for (int64_t i = 0; i < y.numel(); ++i) z[i] += zk[i];
  apply_epilogue(post, y, nullptr);
  if (b.scheme == QuantScheme::kDynamicResQ) cost_.phases_ms.sums += clock_.lap();  // with the epilogue
}

bool StreamSession::integer_form(size_t li, int w_bits) const {
  if (!model_->has_integer_form(li) || w_bits > 8) return false;
  if (!residual_frame() || active_.bits.scheme != QuantScheme::kDynamicResQ) return true;
  for (const std::optional<UniformQuantizer>& q : pool_q_)
    if (!q) return false;  // a near-float pool entry has no levels
  return true;
}

const IntegerConv* StreamSession::integer_conv(size_t li, int a_bits, int w_bits) const {
  const QuantizedModel::WeightLevels& w = model_->weight_levels(li, w_bits);
  return integer_kernels_ && w.conv && float_sums_exact(w.conv->depth(), a_bits, w_bits) ? &*w.conv
                                                                                         : nullptr;
}

StreamSession::ChannelView StreamSession::channel_view(size_t li, const Tensor& y) const {
  const Shape& s = y.shape();
  const auto axis = s.begin() + model_->output_channel_axis(li);
  return {shape_numel(Shape(s.begin(), axis)), *axis, shape_numel(Shape(axis + 1, s.end()))};
}

void StreamSession::sum_levels(size_t li, const Op& op, std::span<const Tensor* const> in,
                               const Tensor& levels, int a_bits, int w_bits, const Shape& shape,
                               Tensor& acc) {
  const QuantizedModel::WeightLevels& w = model_->weight_levels(li, w_bits);
  if (const IntegerConv* conv = integer_conv(li, a_bits, w_bits)) {
    conv->run(levels, acc, conv_scratch_);
    ++cost_.integer_layers;
    return;
  }
  acc.resize(shape);
  std::vector<const Tensor*> args(in.begin(), in.end());
  args[0] = &levels;
  args[1] = &w.levels;
  if (args.size() > 2) args[2] = nullptr;
  Tensor* out = &acc;
  op.run(args, std::span<Tensor* const>(&out, 1));
}

void StreamSession::set_multipliers(size_t li, const UniformQuantizer& q_a, int w_bits,
                                    int64_t channels) {
  const std::vector<double>& scales = model_->weight_levels(li, w_bits).scales;
  multipliers_.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c)  // a grouped ConvTranspose repeats its weight channels
    multipliers_[static_cast<size_t>(c)] =
        static_cast<float>(q_a.scale() * scales[static_cast<size_t>(c) % scales.size()]);
}

void StreamSession::sum_scaled(size_t li, const Op& op, std::span<const Tensor* const> in,
                               const Tensor& input, bool quantize, const UniformQuantizer& q_a,
                               int w_bits, const Tensor* base, const float* bias, Tensor& y,
                               const Epilogue& post, const Tensor* minus) {
  const ChannelView v = channel_view(li, y);
  set_multipliers(li, q_a, w_bits, v.channels);
  Epilogue e = post;
  e.multiplier = multipliers_.data();
  e.bias = bias;
  e.base = base ? base->f32() : nullptr;
  e.plane = v.inner;
  e.channels = v.channels;
  const IntegerConv* conv = integer_conv(li, q_a.bits(), w_bits);
  // The integer kernel, depthwise convs and the image's conv map the input (or its residual) to
  // levels as they read it; other ops (and all-zero levels) get a levels pass into the session's
  // buffer, hot in cache.
  const QuantizedModel::ConvWindow* cw = model_->conv_window(li);
  const bool op_maps =
      cw && conv_maps_levels_as_it_reads(model_->pixels(li).channels / cw->group,
                                         cw->window.kernel);
  const bool maps_input = conv ? !minus || conv->maps_differences() : op_maps;
  const std::optional<LevelGrid> grid = quantize && maps_input ? q_a.grid() : std::nullopt;
  const Tensor* levels = &input;
  if (quantize && !grid) {
    activation_.resize(input.shape());
    if (minus)
      q_a.levels_of_difference(input.floats(), minus->floats(), activation_.floats());
    else
      q_a.levels(input.floats(), activation_.floats());
    levels = &activation_;
  }
  // What the kernel maps as it reads: nothing (levels given), the input, or its residual.
  const LevelMap input_map{grid ? &*grid : nullptr, grid && minus ? minus->f32() : nullptr};
  if (conv) {
    conv->run(*levels, y, conv_scratch_, &e, input_map);
    ++cost_.integer_layers;
    return;
  }
  // The float op on levels and without bias sums exactly what sum_levels does.
  e.input = input_map;
  std::vector<const Tensor*> args(in.begin(), in.end());
  args[0] = levels;
  args[1] = &model_->weight_levels(li, w_bits).levels;
  if (args.size() > 2) args[2] = nullptr;
  Tensor* out = &y;
  op.run_fused(args, std::span<Tensor* const>(&out, 1), e);
}

void StreamSession::scale_add(size_t li, const Tensor& acc, const UniformQuantizer& q_a,
                              int w_bits, const Tensor* base, const float* bias, Tensor& y) {
  const ChannelView v = channel_view(li, acc);
  set_multipliers(li, q_a, w_bits, v.channels);
  if (&y != &acc && &y != base) y.resize(acc.shape());
  const float* a = acc.f32();
  const float* b = base ? base->f32() : nullptr;
  float* p = y.f32();
  // One expression for every caller (y may alias acc or base), so equal sums give equal outputs.
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c, a += v.inner, p += v.inner) {
      const float m = multipliers_[static_cast<size_t>(c)];
      if (b) {
        for (int64_t i = 0; i < v.inner; ++i) p[i] = scale_affine(a[i], m, b[i]);
        b += v.inner;
      } else {
        const float b0 = bias ? bias[c] : 0.0f;
        for (int64_t i = 0; i < v.inner; ++i) p[i] = scale_affine(a[i], m, b0);
      }
    }
}

// Only the outputs that read a pixel of a bit-width group are computed: the group's levels are
// placed in an all-zero image, the affected outputs' receptive fields gathered into columns and
// multiplied, and their scaled sums added onto z_k. Pixels at 0 bits cost nothing beyond the copy
// of z_k. A group that reaches most outputs runs the dense sums instead (cheaper there; the same
// outputs, as only sums of zeros differ). Convs with few values a window and depthwise convs
// add each pixel's products where it reaches (ScatterSums): no image to gather from.
void StreamSession::sparse_groups(size_t li, const Op& op, std::span<const Tensor* const> in,
                                  const Tensor& z_k, Tensor& y, const ChangeMask* region) {
  const BitConfig& b = active_.bits;
  const QuantizedModel::WeightLevels& w = model_->weight_levels(li, b.res_w);
  const QuantizedModel::ConvWindow& cw = *model_->conv_window(li);
  const Window& win = cw.window;
  const bool pointwise = win.is_pointwise();
  const int64_t c_in = model_->pixels(li).channels, hw = win.in_size(), taps = win.kernel_size();
  const int64_t m = y.shape()[1], cg = c_in / cw.group, mg = m / cw.group, positions = win.out_size();
  const std::vector<int64_t>& cand = policy_.candidates();
  const auto n_cand = static_cast<int64_t>(cand.size());
  start_from(z_k, y, region);
  const bool depthwise = sparse_residuals_ && !pointwise && cw.group == c_in && m == c_in &&
                         ScatterSums::fits_depthwise(win);
  const bool few_columns =
      sparse_residuals_ && !pointwise && ScatterSums::fits(win, cw.group, c_in * taps);
  if (depthwise)
    scatter_sums_.set_depthwise_weights(w.levels.f32(), c_in, taps);
  else if (few_columns)
    scatter_sums_.set_weights(w.levels.f32(), c_in, m, taps);
  for (size_t k = 0; k < pool_q_.size(); ++k) {
    const UniformQuantizer& q = *pool_q_[k];
    if (q.bits() == 0 || !collect_group(k)) continue;
    const float* lv = policy_.levels(k);
    if ((depthwise && float_sums_exact(taps, q.bits(), b.res_w)) ||
        (few_columns && float_sums_exact(c_in * taps, q.bits(), b.res_w))) {
      set_multipliers(li, q, b.res_w, m);
      scatter_sums_.add(win, cw.reach, group_, group_index_, lv, n_cand, multipliers_.data(),
                        y.f32());
      continue;
    }
    auto place = [&](float* image) {
      for (int64_t c = 0; c < c_in; ++c)
        for (size_t g = 0; g < group_.size(); ++g)
          image[c * hw + group_[g]] = lv[c * n_cand + group_index_[g]];
    };
    if (pointwise)  // output p reads input p only
      outputs_ = group_;
    else
      affected_outputs(win, cw.reach, group_, mark_, outputs_);
    // Many outputs: the dense sums are cheaper than gathering (a grouped conv's few taps per
    // output each cost several dense ones to gather: already at 1/16; others at 1/4).
    const auto n = static_cast<int64_t>(outputs_.size());
    const bool dense = !sparse_residuals_ || (!pointwise && (cg == 1 ? 16 : 4) * n > positions);
    if (dense) {
      std::fill(activation_.floats().begin(), activation_.floats().end(), 0.0f);
      place(activation_.f32());
      sum_levels(li, op, in, activation_, q.bits(), b.res_w, y.shape(), acc_);
      scale_add(li, acc_, q, b.res_w, &y, nullptr, y);
      continue;
    }
    // A pointwise group of at least half the candidates: the integer sums of every candidate
    // straight from the policy's levels (the others' sums unused) cost less than copying the
    // group's columns out of them (an array the policy left in L3 for wide layers).
    const IntegerConv* conv = integer_conv(li, q.bits(), b.res_w);
    const bool every_candidate = pointwise && conv && 2 * n >= n_cand;
    const int64_t width = every_candidate ? n_cand : n;  // columns summed
    if (!pointwise) {
      // All zeros between uses (sized for the largest gathered layer only): the group's pixels
      // are written, and cleared again after.
      if (sparse_image_.size() < static_cast<size_t>(c_in * hw))
        sparse_image_.assign(static_cast<size_t>(c_in * hw), 0.0f);
      place(sparse_image_.data());
      columns_.resize(static_cast<size_t>(c_in * taps * n));
      gather_columns(win, c_in, sparse_image_.data(), outputs_, columns_.data(), origins_);
      for (int64_t c = 0; c < c_in; ++c)
        for (int64_t p : group_) sparse_image_[static_cast<size_t>(c * hw + p)] = 0.0f;
    } else if (!every_candidate) {  // the columns are the group's levels
      group_columns(k, c_in);
    }
    sparse_acc_.assign(static_cast<size_t>(m * width), 0.0f);
    if (conv) {
      conv->run_columns(every_candidate ? lv : columns_.data(), width, sparse_acc_.data(),
                        conv_scratch_.gemm);
      ++cost_.integer_layers;
    } else if (cw.group == 1) {
      sgemm(false, false, m, n, c_in * taps, 1.0f, w.levels.f32(), columns_.data(), 0.0f,
            sparse_acc_.data());
    } else {  // grouped and depthwise: exact float sums of levels, tap by tap
      for (int64_t r = 0; r < m; ++r) {
        float* acc = sparse_acc_.data() + r * n;
        const float* wr = w.levels.f32() + r * cg * taps;
        const float* col = columns_.data() + (r / mg) * cg * taps * n;
        for (int64_t t = 0; t < cg * taps; ++t)
          for (int64_t j = 0; j < n; ++j) acc[j] += wr[t] * col[t * n + j];
      }
    }
    set_multipliers(li, q, b.res_w, m);
    float* yv = y.f32();
    for (int64_t r = 0; r < m; ++r) {
      const float mult = multipliers_[static_cast<size_t>(r)];
      const float* a = sparse_acc_.data() + r * width;
      float* out = yv + r * positions;
      for (int64_t j = 0; j < n; ++j) {
        const auto g = static_cast<size_t>(j);
        const int64_t pos = outputs_[g];
        out[pos] = scale_affine(a[every_candidate ? group_index_[g] : j], mult, out[pos]);
      }
    }
  }
}

void StreamSession::sparse_tiles(size_t li, const Tensor& z_k, Tensor& y, const ChangeMask* region) {
  const BitConfig& b = active_.bits;
  const QuantizedModel::WeightLevels& w = model_->weight_levels(li, b.res_w);
  const Shape& tile = *model_->transpose_tile(li);
  const int64_t c_in = model_->pixels(li).channels, in_w = model_->input_shape(li)[3];
  const int64_t kh = tile[0], kw = tile[1], taps = kh * kw, out_w = in_w * kw;
  const int64_t m = y.shape()[1], positions = y.numel() / m;
  start_from(z_k, y, region);
  for (size_t k = 0; k < pool_q_.size(); ++k) {
    const UniformQuantizer& q = *pool_q_[k];
    if (q.bits() == 0 || !collect_group(k)) continue;
    group_columns(k, c_in);
    const auto n = static_cast<int64_t>(group_.size());
    // W [C, M * taps] transposed times the columns: row r * taps + t is channel r, tap t.
    sparse_acc_.resize(static_cast<size_t>(m * taps * n));
    sgemm(true, false, m * taps, n, c_in, 1.0f, w.levels.f32(), columns_.data(), 0.0f,
          sparse_acc_.data());
    set_multipliers(li, q, b.res_w, m);
    outputs_.resize(static_cast<size_t>(n));  // each pixel's tile origin in an output plane
    for (int64_t j = 0; j < n; ++j) {
      const int64_t p = group_[static_cast<size_t>(j)];
      outputs_[static_cast<size_t>(j)] = p / in_w * kh * out_w + p % in_w * kw;
    }
    float* yv = y.f32();
    for (int64_t r = 0; r < m; ++r) {
      const float mult = multipliers_[static_cast<size_t>(r)];
      for (int64_t t = 0; t < taps; ++t) {
        const float* a = sparse_acc_.data() + (r * taps + t) * n;
        float* out = yv + r * positions + t / kw * out_w + t % kw;
        for (int64_t j = 0; j < n; ++j) {
          const int64_t pos = outputs_[static_cast<size_t>(j)];
          out[pos] = scale_affine(a[j], mult, out[pos]);
        }
      }
    }
  }
}

void StreamSession::apply_epilogue(const Epilogue& post, Tensor& y, const ChangeMask* region) {
  if (!region) {
    post.apply(y.f32(), 0, y.numel());
    return;
  }
  region->for_each_span(y.shape()[1], [&](int64_t i0, int64_t i1) {
    post.apply(y.f32() + i0, i0, i1 - i0);
  });
}

void StreamSession::start_from(const Tensor& z_k, Tensor& y, const ChangeMask* region) {
  cost_.phases_ms.sums += clock_.lap();  // the layer's setup before the copy counts as sums
  if (!region)
    std::copy(z_k.floats().begin(), z_k.floats().end(), y.floats().begin());
  else
    region->for_each_span(y.shape()[1], [&](int64_t i0, int64_t i1) {
      std::copy(z_k.f32() + i0, z_k.f32() + i1, y.f32() + i0);
    });
  cost_.phases_ms.start += clock_.lap();
}

bool StreamSession::collect_group(size_t k) {
  const std::vector<int64_t>& cand = policy_.candidates();
  // Every candidate written, the next slot taken only by the group's: no branch on choices that
  // change from pixel to pixel.
  group_.resize(cand.size());
  group_index_.resize(cand.size());
  size_t g = 0;
  for (size_t j = 0; j < cand.size(); ++j) {
    group_[g] = cand[j];
    group_index_[g] = static_cast<int64_t>(j);
    g += policy_.choice(j) == static_cast<int>(k) ? 1 : 0;
  }
  group_.resize(g);
  group_index_.resize(g);
  return g > 0;
}

void StreamSession::group_columns(size_t k, int64_t c_in) {
  const float* lv = policy_.levels(k);
  const auto n_cand = static_cast<int64_t>(policy_.candidates().size());
  const auto n = static_cast<int64_t>(group_.size());
  columns_.resize(static_cast<size_t>(c_in * n));
  for (int64_t c = 0; c < c_in; ++c)
    for (int64_t g = 0; g < n; ++g)
      columns_[static_cast<size_t>(c * n + g)] = lv[c * n_cand + group_index_[static_cast<size_t>(g)]];
}

const Tensor& StreamSession::whole_keyframe_input(size_t li,
                                                 const PixelBitPolicy::KeyframeInput& x_k) {
  const KeyframeCache::Layer& l = cache_.layer(li);
  if (!l.x_k_from_previous) return l.x_k;
  derived_x_k_.resize(cache_.layer(*input_from_[li]).z_k.shape());
  PixelBitPolicy::write_keyframe_input(x_k, derived_x_k_.floats());
  return derived_x_k_;
}

PixelBitPolicy::KeyframeInput StreamSession::keyframe_input(size_t li, const Tensor& x) const {
  const KeyframeCache::Layer& l = cache_.layer(li);
  // x_k itself, or the previous layer's z_k it is made from (of the same shape).
  const size_t from = l.x_k_from_previous ? *input_from_[li] : li;
  const Tensor& kept = l.x_k_from_previous ? cache_.layer(from).z_k : l.x_k;
  if (kept.shape() != x.shape())
    throw OpError("input shape " + shape_str(x.shape()) + " differs from the keyframe's " +
                  shape_str(kept.shape()));
  if (!l.x_k_from_previous) return {kept.floats()};
  const Epilogue& act = executor_.fused_epilogue(model_->linear_nodes()[from]);
  return {kept.floats(), act.activation, act.lo, act.hi};
}

double StreamSession::choose_residual_bits(size_t li, double macs, const Tensor& x,
                                           const PixelBitPolicy::KeyframeInput& x_k,
                                           const ChangeMask* may_differ) {
  const BitConfig& b = active_.bits;
  const PixelLayout& px = model_->pixels(li);
  const std::vector<double>& shares = model_->mac_shares(li);
  pool_q_.clear();
  for (int bits : b.res_a_pool) pool_q_.push_back(residual_quantizer(*model_, li, bits));
  policy_.choose(x.floats(), x_k, px, pool_q_, model_->weight_norm(li, b.res_w),
                 active_.tau, may_differ);
  cost_.pixels_read += policy_.pixels_read();
  const PixelBitPolicy::Times& t = policy_.times();
  FrameCost::Phases& ph = cost_.phases_ms;
  ph.policy_read += t.read;
  ph.policy_test += t.test;
  ph.policy_gather += t.gather;
  ph.policy_quantize += t.quantize;
  ph.policy_choose += t.choose;

  const std::vector<int64_t>& cand = policy_.candidates();
  const bool mapped = bit_map_layer_ == li;
  const int first_bits = b.res_a_pool[0];
  if (mapped) std::fill(bit_map_.begin(), bit_map_.end(), static_cast<uint8_t>(first_bits));
  cost_.pixels_per_bits[first_bits] += px.pixels() - static_cast<int64_t>(cand.size());
  // Every pixel at the first entry's bits (the shares sum to 1), corrected at the candidates:
  // a loop over the candidates only, not over every pixel of every layer. Counted per entry
  // first: a map update per candidate cost more than the rest of the loop.
  double bits_share = first_bits;
  entry_pixels_.assign(b.res_a_pool.size(), 0);
  for (size_t j = 0; j < cand.size(); ++j) {
    const auto k = static_cast<size_t>(policy_.choice(j));
    const int bits = b.res_a_pool[k];
    const auto p = static_cast<size_t>(cand[j]);
    if (mapped) bit_map_[p] = static_cast<uint8_t>(bits);
    ++entry_pixels_[k];
    bits_share += shares[p] * (bits - first_bits);
  }
  for (size_t k = 0; k < entry_pixels_.size(); ++k)
    if (entry_pixels_[k] > 0) cost_.pixels_per_bits[b.res_a_pool[k]] += entry_pixels_[k];
  const double bops = macs * b.res_w * bits_share;
  const double policy =
      static_cast<double>(px.pixels() * px.channels) * static_cast<double>(pool_q_.size()) * 64;
  cost_.policy_bops += policy;
  return bops + policy;
}

void StreamSession::note_output_changes(size_t li, const Shape& out_shape) {
  out_changes_ = ChangeMask(out_shape, false);
  const std::vector<int64_t>& cand = policy_.candidates();
  active_pixels_.clear();
  for (size_t j = 0; j < cand.size(); ++j) {
    const std::optional<UniformQuantizer>& q = pool_q_[static_cast<size_t>(policy_.choice(j))];
    if (!q || q->bits() > 0) active_pixels_.push_back(cand[j]);
  }
  if (active_pixels_.empty()) return;  // z_t = z_k: nothing changes
  const bool batch_1 = model_->pixels(li).outer == 1 && ChangeMask::spatial(out_shape);
  if (const QuantizedModel::ConvWindow* cw = model_->conv_window(li); cw && batch_1) {
    mark_reached(cw->window, cw->reach, active_pixels_, out_changes_);
  } else if (const Shape* tile = model_->transpose_tile(li); tile && batch_1) {
    const int64_t in_w = model_->input_shape(li)[3], kh = (*tile)[0], kw = (*tile)[1];
    for (int64_t p : active_pixels_) {
      const int64_t iy = p / in_w, ix = p % in_w;
      out_changes_.set(iy * kh, (iy + 1) * kh, ix * kw, (ix + 1) * kw);
    }
  } else {
    out_changes_.set_all();
  }
}

bool StreamSession::mask_group(size_t li, size_t k) {
  const PixelLayout& px = model_->pixels(li);
  const std::vector<int64_t>& cand = policy_.candidates();
  const auto n = static_cast<int64_t>(cand.size());
  bool any = false;
  for (int64_t j = 0; j < n && !any; ++j) any = policy_.choice(static_cast<size_t>(j)) == static_cast<int>(k);
  if (!any) return false;
  // Pixels that are not candidates are at entry 0, a 0-bit entry here (else all are candidates).
  std::fill(activation_.floats().begin(), activation_.floats().end(), 0.0f);
  const float* lv = policy_.levels(k);
  float* a = activation_.f32();
  for (int64_t j = 0; j < n; ++j) {
    if (policy_.choice(static_cast<size_t>(j)) != static_cast<int>(k)) continue;
    const int64_t p = cand[static_cast<size_t>(j)], o = p / px.inner, i = p % px.inner;
    for (int64_t c = 0; c < px.channels; ++c) a[(o * px.channels + c) * px.inner + i] = lv[c * n + j];
  }
  return true;
}

void StreamSession::write_chosen_residual(size_t li) {
  const PixelLayout& px = model_->pixels(li);
  const std::vector<int64_t>& cand = policy_.candidates();
  const auto n = static_cast<int64_t>(cand.size());
  float* a = activation_.f32();
  if (n < px.pixels()) std::fill(activation_.floats().begin(), activation_.floats().end(), 0.0f);
  for (int64_t j = 0; j < n; ++j) {
    const auto k = static_cast<size_t>(policy_.choice(static_cast<size_t>(j)));
    const int64_t p = cand[static_cast<size_t>(j)], o = p / px.inner, i = p % px.inner;
    // 0 bits send nothing (the policy keeps no levels for them); near float sends the residual.
    const std::optional<UniformQuantizer>& q = pool_q_[k];
    for (int64_t c = 0; c < px.channels; ++c) {
      const auto e = static_cast<size_t>(c * n + j);
      a[(o * px.channels + c) * px.inner + i] =
          !q                 ? policy_.residual()[c * policy_.residual_stride() + j]
          : q->bits() == 0 ? 0.0f
                           : static_cast<float>(q->scale()) * policy_.levels(k)[e];
    }
  }
}

}  // namespace resq
