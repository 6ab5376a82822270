#include "engine/ops/activations.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.h"

namespace resq {
namespace {

void check_float_input(std::span<const TensorMeta> in, size_t max_inputs) {
  if (in.empty() || in.size() > max_inputs || !in[0].present)
    throw OpError("expects input X" + std::string(max_inputs > 1 ? " (plus optional bounds)" : "") +
                  ", got " + std::to_string(in.size()) + " inputs");
  if (in[0].dtype != DType::kFloat32)
    throw OpError(std::string("X must be float32, got ") + dtype_name(in[0].dtype));
}

// One float input, one output of the same shape, y = f(x) element-wise.
template <class F>
class UnaryOp : public Op {
 public:
  explicit UnaryOp(F f) : f_(f) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    check_float_input(in, 1);
    return std::vector<TensorMeta>{{DType::kFloat32, in[0].shape}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->f32();
    float* y = out[0]->f32();
    const int64_t n = in[0]->numel();
    for (int64_t i = 0; i < n; ++i) y[i] = f_(x[i]);
  }

 private:
  F f_;
};

template <class F>
std::unique_ptr<Op> unary(F f) {
  return std::make_unique<UnaryOp<F>>(f);
}

// Clip(X, min?, max?): bounds are optional scalar inputs; an absent one does not bound.
class ClipOp : public Op {
 public:
  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    check_float_input(in, 3);
    static const char* const kNames[] = {"X", "min", "max"};
    for (size_t i = 1; i < in.size(); ++i) {
      if (!in[i].present) continue;
      if (in[i].dtype != DType::kFloat32)
        throw OpError(std::string(kNames[i]) + " must be float32, got " + dtype_name(in[i].dtype));
      if (shape_numel(in[i].shape) != 1)
        throw OpError(std::string(kNames[i]) + " must be a scalar, got shape " +
                      shape_str(in[i].shape));
    }
    return std::vector<TensorMeta>{{DType::kFloat32, in[0].shape}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float lo =
        in.size() > 1 && in[1] ? in[1]->f32()[0] : -std::numeric_limits<float>::infinity();
    const float hi =
        in.size() > 2 && in[2] ? in[2]->f32()[0] : std::numeric_limits<float>::infinity();
    const float* x = in[0]->f32();
    float* y = out[0]->f32();
    const int64_t n = in[0]->numel();
    // ONNX applies min then max: with min > max every output is max.
    for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
  }
};

}  // namespace

std::unique_ptr<Op> make_relu(const Attributes&) {
  return unary([](float x) { return std::max(x, 0.0f); });
}

std::unique_ptr<Op> make_clip(const Attributes&) { return std::make_unique<ClipOp>(); }

std::unique_ptr<Op> make_hard_sigmoid(const Attributes& attrs) {
  const float alpha = attrs.get_float("alpha", 0.2f);
  const float beta = attrs.get_float("beta", 0.5f);
  return unary([alpha, beta](float x) { return std::clamp(alpha * x + beta, 0.0f, 1.0f); });
}

std::unique_ptr<Op> make_hard_swish(const Attributes&) {
  return unary([](float x) { return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f); });
}

std::unique_ptr<Op> make_sigmoid(const Attributes&) {
  // Two branches so exp() never overflows.
  return unary([](float x) {
    if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
  });
}

std::unique_ptr<Op> make_leaky_relu(const Attributes& attrs) {
  const float alpha = attrs.get_float("alpha", 0.01f);
  return unary([alpha](float x) { return x < 0 ? alpha * x : x; });
}

}  // namespace resq
