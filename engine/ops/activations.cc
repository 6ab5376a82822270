#include "engine/ops/activations.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/error.h"
#include "engine/ops/epilogue.h"

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
    for (int64_t i = 0; i < n; ++i) y[i] = clip(x[i], lo, hi);
  }
};

// exp(a) for a <= 0 (NaN passes through), within about 1 ulp of std::exp, denormal results
// included. Branch-free straight-line code so that the loop calling it vectorises.
inline float exp_nonpositive(float a) {
  a = std::max(a, -104.0f);  // exp(-104) rounds to 0 in float; keeps the exponent in range
  // a = n ln2 + r, |r| <= ln2 / 2; ln2 split in two so that n * ln2_hi is exact.
  constexpr float kLog2e = 1.44269504f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (a * kLog2e + kRound) - kRound;
  const float r = (a - n * kLn2Hi) - n * kLn2Lo;
  // Taylor series of exp(r) to r^7: truncation error < 1e-8 relative for |r| <= ln2 / 2.
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n in two factors so that each stays a normal float down to n = -150: the product then
  // rounds once, into the denormals when it must.
  const auto ni = static_cast<int32_t>(n);
  const int32_t n1 = ni / 2, n2 = ni - n1;
  return p * std::bit_cast<float>((n1 + 127) << 23) * std::bit_cast<float>((n2 + 127) << 23);
}

}  // namespace

std::unique_ptr<Op> make_relu(const Attributes&) {
  return unary([](float x) { return relu(x); });
}

std::unique_ptr<Op> make_clip(const Attributes&) { return std::make_unique<ClipOp>(); }

std::unique_ptr<Op> make_hard_sigmoid(const Attributes& attrs) {
  const float alpha = attrs.get_float("alpha", 0.2f);
  const float beta = attrs.get_float("beta", 0.5f);
  return unary([alpha, beta](float x) { return hard_sigmoid(x, alpha, beta); });
}

std::unique_ptr<Op> make_hard_swish(const Attributes&) {
  return unary([](float x) { return hard_swish(x); });
}

std::unique_ptr<Op> make_sigmoid(const Attributes&) {
  // Through e = exp(-|x|) <= 1, so exp never overflows: x >= 0 gives 1 / (1 + e), x < 0 gives
  // e / (1 + e), one rounding each as with std::exp.
  return unary([](float x) {
    const float e = exp_nonpositive(-std::abs(x));
    return (x >= 0 ? 1.0f : e) / (1.0f + e);
  });
}

std::unique_ptr<Op> make_leaky_relu(const Attributes& attrs) {
  const float alpha = attrs.get_float("alpha", 0.01f);
  return unary([alpha](float x) { return x < 0 ? alpha * x : x; });
}

}  // namespace resq
