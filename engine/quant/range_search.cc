#include "engine/quant/range_search.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace resq {
namespace {

void check_samples(std::span<const Tensor> inputs, std::span<const Tensor> reference_outputs) {
  if (inputs.empty()) throw std::invalid_argument("range search: no calibration samples");
  if (inputs.size() != reference_outputs.size())
    throw std::invalid_argument("range search: " + std::to_string(inputs.size()) +
                                " inputs but " + std::to_string(reference_outputs.size()) +
                                " reference outputs");
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].dtype() != DType::kFloat32 || reference_outputs[i].dtype() != DType::kFloat32)
      throw std::invalid_argument("range search: sample " + std::to_string(i) +
                                  " is not float32");
}

double max_magnitude(std::span<const Tensor> inputs) {
  float m = 0;
  for (const Tensor& t : inputs)
    for (float v : t.floats()) m = std::max(m, std::abs(v));
  return m;
}

// || Y_ref - f(q(X)) ||_F over all samples.
double output_error(const UniformQuantizer& q, std::span<const Tensor> inputs,
                    std::span<const Tensor> reference_outputs, const LayerForward& forward,
                    Tensor& quantized, Tensor& out) {
  double sum_sq = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& ref = reference_outputs[i];
    quantized.resize(inputs[i].shape());
    q.apply(inputs[i].floats(), quantized.floats());
    out.resize(ref.shape());
    forward(quantized, out);
    if (out.shape() != ref.shape() || out.dtype() != DType::kFloat32)
      throw std::invalid_argument("range search: layer output " + shape_str(out.shape()) +
                                  " for sample " + std::to_string(i) + ", reference is " +
                                  shape_str(ref.shape()));
    const float* y = out.f32();
    const float* r = ref.f32();
    for (int64_t j = 0; j < ref.numel(); ++j) {
      const double d = static_cast<double>(r[j]) - y[j];
      sum_sq += d * d;
    }
  }
  return std::sqrt(sum_sq);
}

}  // namespace

RangeSearchResult search_activation_range(std::span<const Tensor> inputs,
                                          std::span<const Tensor> reference_outputs,
                                          const LayerForward& forward, int bits,
                                          int num_candidates) {
  if (!is_valid_bits(bits))
    throw std::invalid_argument("range search: " + std::to_string(bits) +
                                " bits is not one of " + valid_bits_text());
  if (num_candidates < 1)
    throw std::invalid_argument("range search: " + std::to_string(num_candidates) +
                                " candidates, need at least 1");
  check_samples(inputs, reference_outputs);

  const double max_abs = max_magnitude(inputs);
  const int count = (bits == 0 || max_abs == 0) ? 1 : num_candidates;
  std::vector<double> clips;
  for (int k = 1; k <= count; ++k) clips.push_back(max_abs * k / count);

  std::vector<double> errors;
  Tensor quantized, out;
  size_t best = 0;
  for (size_t k = 0; k < clips.size(); ++k) {
    const UniformQuantizer q = UniformQuantizer::from_clip(bits, clips[k]);
    errors.push_back(output_error(q, inputs, reference_outputs, forward, quantized, out));
    if (errors[k] < errors[best]) best = k;
  }
  return {UniformQuantizer::from_clip(bits, clips[best]), std::move(clips), std::move(errors),
          best};
}

}  // namespace resq
