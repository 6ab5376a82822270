#include "engine/ops/batch_norm.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/error.h"

namespace resq {
namespace {

class BatchNormOp : public Op {
 public:
  explicit BatchNormOp(const Attributes& attrs)
      : epsilon_(attrs.get_float("epsilon", 1e-5f)),
        momentum_(attrs.get_float("momentum", 0.9f)),
        training_(attrs.get_flag("training_mode")) {
    if (!(epsilon_ >= 0.0f))
      throw OpError("attribute 'epsilon' is " + std::to_string(epsilon_) + ", expected >= 0");
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 5)
      throw OpError("expects 5 inputs (X, scale, B, input_mean, input_var), got " +
                    std::to_string(in.size()));
    static const char* kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
    for (size_t i = 0; i < 5; ++i) {
      if (!in[i].present) throw OpError(std::string("input ") + kNames[i] + " is missing");
      if (in[i].dtype != DType::kFloat32)
        throw OpError(std::string("input ") + kNames[i] + " must be float32, got " +
                      dtype_name(in[i].dtype));
    }
    const Shape& x = in[0].shape;
    if (x.size() < 2) throw OpError("input X must have rank >= 2 (N, C, ...), got " + shape_str(x));
    for (size_t i = 1; i < 5; ++i)
      if (in[i].shape != Shape{x[1]})
        throw OpError(std::string("input ") + kNames[i] + " has shape " + shape_str(in[i].shape) +
                      ", expected " + std::to_string(x[1]) + " (the channels of X " + shape_str(x) +
                      ")");
    std::vector<TensorMeta> out = {{DType::kFloat32, x}};
    if (training_) {
      out.push_back({DType::kFloat32, {x[1]}});
      out.push_back({DType::kFloat32, {x[1]}});
    }
    return out;
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& x = *in[0];
    const float *scale = in[1]->f32(), *bias = in[2]->f32(), *mean = in[3]->f32(),
                *var = in[4]->f32();
    const int64_t n = x.dim(0), c = x.dim(1), plane = n * c > 0 ? x.numel() / (n * c) : 0;
    std::vector<double> mu(mean, mean + c), sigma2(var, var + c);
    if (training_) {  // batch statistics over N and the spatial dims (population variance)
      const double count = static_cast<double>(n * plane);
      for (int64_t ch = 0; ch < c; ++ch) {
        double s = 0.0, s2 = 0.0;
        for (int64_t b = 0; b < n; ++b) {
          const float* p = x.f32() + (b * c + ch) * plane;
          for (int64_t i = 0; i < plane; ++i) s += p[i];
        }
        const double m = count > 0 ? s / count : 0.0;
        for (int64_t b = 0; b < n; ++b) {
          const float* p = x.f32() + (b * c + ch) * plane;
          for (int64_t i = 0; i < plane; ++i) s2 += (p[i] - m) * (p[i] - m);
        }
        mu[static_cast<size_t>(ch)] = m;
        sigma2[static_cast<size_t>(ch)] = count > 0 ? s2 / count : 0.0;
      }
      for (size_t o = 1; o < out.size() && o < 3; ++o) {
        const float* running = o == 1 ? mean : var;
        const std::vector<double>& batch = o == 1 ? mu : sigma2;
        for (int64_t ch = 0; ch < c; ++ch)
          out[o]->f32()[ch] =
              static_cast<float>(running[ch] * static_cast<double>(momentum_) +
                                 batch[static_cast<size_t>(ch)] * (1.0 - momentum_));
      }
    }
    float* y = out[0]->f32();
    for (int64_t ch = 0; ch < c; ++ch) {
      const double a =
          scale[ch] / std::sqrt(sigma2[static_cast<size_t>(ch)] + static_cast<double>(epsilon_));
      const float fa = static_cast<float>(a),
                  fb = static_cast<float>(bias[ch] - mu[static_cast<size_t>(ch)] * a);
      for (int64_t b = 0; b < n; ++b) {
        const float* p = x.f32() + (b * c + ch) * plane;
        float* q = y + (b * c + ch) * plane;
        for (int64_t i = 0; i < plane; ++i) q[i] = p[i] * fa + fb;
      }
    }
  }

 private:
  float epsilon_, momentum_;
  bool training_;
};

}  // namespace

std::unique_ptr<Op> make_batch_norm(const Attributes& attrs) {
  return std::make_unique<BatchNormOp>(attrs);
}

}  // namespace resq
