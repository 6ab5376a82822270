#include "engine/quant/uniform_quantizer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace resq {

bool is_valid_bits(int bits) {
  return bits == 0 || (bits >= 2 && bits <= 8) || bits == 16 || bits == 32;
}

std::string valid_bits_text() { return "{0, 2..8, 16, 32}"; }

UniformQuantizer::UniformQuantizer(int bits, double r_min, double r_max) : bits_(bits) {
  if (!is_valid_bits(bits))
    throw std::invalid_argument("quantizer: " + std::to_string(bits) + " bits is not one of " +
                                valid_bits_text());
  if (!std::isfinite(r_min) || !std::isfinite(r_max) || r_min > r_max)
    throw std::invalid_argument("quantizer: bad range [" + std::to_string(r_min) + ", " +
                                std::to_string(r_max) + "]");
  clip_ = std::max(r_max, -r_min);
  if (bits == 0) return;
  // ldexp keeps 2^32 exact in double (an integer shift would overflow int).
  level_min_ = -static_cast<int64_t>(std::ldexp(1.0, bits - 1));
  level_max_ = -level_min_ - 1;
  scale_ = 2.0 * clip_ / (std::ldexp(1.0, bits) - 1.0);
  scale_f_ = static_cast<float>(scale_);
  // A scale that underflows float would divide by zero on the float path.
  if (bits <= 8 && scale_f_ == 0.0f) scale_ = 0;
}

UniformQuantizer UniformQuantizer::from_clip(int bits, double clip) {
  if (!(clip >= 0))
    throw std::invalid_argument("quantizer: clip value " + std::to_string(clip) +
                                " must be >= 0");
  return UniformQuantizer(bits, -clip, clip);
}

float UniformQuantizer::quantize(float x) const {
  float out = 0;
  apply(std::span<const float>(&x, 1), std::span<float>(&out, 1));
  return out;
}

void UniformQuantizer::apply(std::span<float> values) const { apply(values, values); }

namespace {

void check_sizes(std::span<const float> in, std::span<float> out) {
  if (in.size() != out.size())
    throw std::invalid_argument("quantizer: output has " + std::to_string(out.size()) +
                                " elements, input " + std::to_string(in.size()));
}

}  // namespace

// out[i] = levels of value(i): the same expression as apply() without the final multiplication
// by s. Inlined per caller so that each loop vectorises.
template <class Value>
void UniformQuantizer::levels_of(Value value, std::span<float> out) const {
  const std::optional<LevelGrid> g = grid();
  if (!g) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  for (size_t i = 0; i < out.size(); ++i) out[i] = g->level(value(i));
}

std::optional<LevelGrid> UniformQuantizer::grid() const {
  if (bits_ > 8)
    throw std::logic_error("quantizer: " + std::to_string(bits_) +
                           " bits has no integer levels (at most 8 bits)");
  if (scale_ == 0) return std::nullopt;
  return LevelGrid{scale_f_, static_cast<float>(level_min_), static_cast<float>(level_max_)};
}

void UniformQuantizer::levels(std::span<const float> in, std::span<float> out) const {
  check_sizes(in, out);
  levels_of([&](size_t i) { return in[i]; }, out);
}

void UniformQuantizer::levels_of_difference(std::span<const float> a, std::span<const float> b,
                                            std::span<float> out) const {
  check_sizes(a, out);
  check_sizes(b, out);
  levels_of([&](size_t i) { return a[i] - b[i]; }, out);
}

void UniformQuantizer::apply(std::span<const float> in, std::span<float> out) const {
  check_sizes(in, out);
  if (scale_ == 0) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  // Clamping before rounding is equivalent (the bounds are integers) and keeps the rounded
  // value in range for any input magnitude.
  if (bits_ <= 8) {
    const LevelGrid g = *grid();
    for (size_t i = 0; i < in.size(); ++i) out[i] = g.scale * g.level(in[i]);
    return;
  }
  const double lo = static_cast<double>(level_min_), hi = static_cast<double>(level_max_);
  for (size_t i = 0; i < in.size(); ++i)
    out[i] = static_cast<float>(scale_ * std::nearbyint(std::clamp(in[i] / scale_, lo, hi)));
}

}  // namespace resq
