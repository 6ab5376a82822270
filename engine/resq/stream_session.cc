#include "engine/resq/stream_session.h"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/error.h"

namespace resq {

StreamSession::StreamSession(std::shared_ptr<const QuantizedModel> model, StreamConfig config)
    : model_(std::move(model)),
      config_(std::move(config)),
      executor_(model_->graph()),
      cache_(model_->linear_nodes().size()) {
  check_config(config_);
}

void StreamSession::check_config(const StreamConfig& c) const {
  if (c.period < 1)
    throw std::invalid_argument("keyframe period T must be >= 1, got " + std::to_string(c.period));
  if (c.bits.scheme == QuantScheme::kDynamicResQ)
    throw std::invalid_argument("Dynamic-ResQ (" + c.bits.to_string() +
                                ") is not executable yet; use fp32, WbAb or WbAb->WbAb");
  if (c.bits.scheme == QuantScheme::kFloat || model_->linear_nodes().empty()) return;
  // Every needed quantizer must exist for layer 0 (calibrations cover all layers alike).
  model_->weight(0, c.bits.key_w);
  if (!QuantizedModel::passes_through(c.bits.key_a)) model_->key_activation(0, c.bits.key_a);
  if (c.bits.scheme == QuantScheme::kResQ) {
    model_->weight(0, c.bits.res_w);
    int a = c.bits.res_a_pool.front();
    if (!QuantizedModel::passes_through(a)) model_->residual_activation(0, a);
  }
}

std::vector<Tensor> StreamSession::process(std::span<const Tensor> inputs) {
  auto start = std::chrono::steady_clock::now();
  const bool resq = config_.bits.scheme == QuantScheme::kResQ;
  keyframe_ = resq && (!cache_.ready() || frames_since_key_ >= config_.period);
  cost_ = FrameCost{};
  cost_.keyframe = keyframe_;
  std::vector<Tensor> out;
  try {
    out = executor_.run(inputs, this);
  } catch (...) {
    cache_.clear();  // a half-written keyframe must not serve as reference
    frames_since_key_ = 0;
    throw;
  }
  if (keyframe_) {
    cache_.mark_ready();
    frames_since_key_ = 0;
  }
  ++frames_since_key_;
  const double macs = static_cast<double>(model_->total_macs());
  cost_.bops_fp32 = macs * 32 * 32;
  cost_.bops_w8a8 = macs * 8 * 8;
  cost_.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

void StreamSession::run_quantized(const Op& op, std::span<const Tensor* const> in,
                                  std::span<Tensor* const> out, const Tensor& x,
                                  const UniformQuantizer* q_a, const Tensor& w, bool with_bias) {
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
  op.run(args, out);
}

void StreamSession::run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                               std::span<Tensor* const> out) {
  const size_t li = model_->linear_index(node);
  const double macs = static_cast<double>(model_->macs(li));
  const BitConfig& b = config_.bits;
  const Tensor& x = *in[0];

  if (b.scheme == QuantScheme::kFloat) {
    op.run(in, out);
    cost_.bops += macs * 32 * 32;
    return;
  }
  if (b.scheme == QuantScheme::kFrame || keyframe_) {
    // Frame quantization, and ResQ keyframes: z_k = q(x_k; Phi_a) * q(w; Phi_w) + bias.
    std::optional<UniformQuantizer> q_a;
    if (!QuantizedModel::passes_through(b.key_a)) q_a = model_->key_activation(li, b.key_a);
    run_quantized(op, in, out, x, q_a ? &*q_a : nullptr, model_->weight(li, b.key_w), true);
    cost_.bops += macs * b.key_w * b.key_a;
    if (keyframe_) {
      KeyframeCache::Layer& l = cache_.layer(li);
      l.x_k = x;
      l.z_k = *out[0];
    }
    return;
  }
  // ResQ residual frame (Eq. 5): z_t = q(x_t - x_k; Theta_a) * q(w; Theta_w) + z_k.
  KeyframeCache::Layer& l = cache_.layer(li);
  if (l.x_k.shape() != x.shape())
    throw OpError("input shape " + shape_str(x.shape()) + " differs from the keyframe's " +
                  shape_str(l.x_k.shape()));
  const int res_a = b.res_a_pool.front();
  activation_.resize(x.shape());
  {
    const float* xt = x.f32();
    const float* xk = l.x_k.f32();
    float* d = activation_.f32();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] = xt[i] - xk[i];
  }
  if (!QuantizedModel::passes_through(res_a)) {
    UniformQuantizer q_r = model_->residual_activation(li, res_a);
    q_r.apply(activation_.floats());
  }
  run_quantized(op, in, out, activation_, nullptr, model_->weight(li, b.res_w), false);
  float* z = out[0]->f32();
  const float* zk = l.z_k.f32();
  for (int64_t i = 0; i < out[0]->numel(); ++i) z[i] += zk[i];
  cost_.bops += macs * b.res_w * res_a;
}

}  // namespace resq
