// Uniform symmetric quantizer of the paper (Eq. 1, 6), applied as fake quantization: values are
// mapped to the grid s * {-2^(b-1), ..., 2^(b-1) - 1} and returned as floats.
//
//   s    = 2 * max(r_max, -r_min) / (2^b - 1)
//   q(x) = s * clamp(round(x / s), -2^(b-1), 2^(b-1) - 1)
//
// Rounding is half to even (std::nearbyint in the default FE_TONEAREST mode, which the engine
// never changes), the convention of common fake-quantization kernels: 0.5 -> 0, 1.5 -> 2,
// -2.5 -> -2. Bit-widths: 0 ("send nothing", q(x) = 0), 2..8, and 16 / 32 ("near float",
// computed in double so 32 bits reproduces float inputs). A zero range gives q(x) = 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace resq {

// True for the supported bit-widths {0, 2..8, 16, 32}.
bool is_valid_bits(int bits);
// "{0, 2..8, 16, 32}", for error messages.
std::string valid_bits_text();

// The map of a quantizer of at most 8 bits and a non-zero scale from values to its grid indices:
// the one expression behind UniformQuantizer::levels and the kernels that quantize as they read.
struct LevelGrid {
  float scale, lo, hi;
  float level(float x) const { return std::nearbyint(std::clamp(x / scale, lo, hi)); }
  // to[0, n) = the levels of from[0, n) (inlined, so each caller's loop vectorises).
  void map(const float* __restrict from, int64_t n, float* __restrict to) const {
    const LevelGrid g = *this;  // in registers, not reloaded past the stores
    for (int64_t i = 0; i < n; ++i) to[i] = g.level(from[i]);
  }
  // to[0, n) = the levels of from[0, n) - minus[0, n), the difference rounded to float first
  // (as UniformQuantizer::levels_of_difference).
  void map_difference(const float* __restrict from, const float* __restrict minus, int64_t n,
                      float* __restrict to) const {
    const LevelGrid g = *this;
    for (int64_t i = 0; i < n; ++i) to[i] = g.level(from[i] - minus[i]);
  }
};

// What a kernel that quantizes as it copies its input does to it: nothing (no grid), map it to
// the grid's levels, or with `minus` (laid out as the input: a keyframe's x_k) map the residual
// input - minus.
struct LevelMap {
  const LevelGrid* grid = nullptr;
  const float* minus = nullptr;
  // The same map for the part of the input that starts `offset` elements in.
  LevelMap at(int64_t offset) const { return {grid, minus ? minus + offset : nullptr}; }
};

// to[0, n) = from[0, n), or what `map` makes of it (`map` positioned at `from`).
inline void copy_or_map(const float* from, int64_t n, float* to, const LevelMap& map) {
  if (map.grid && map.minus)
    map.grid->map_difference(from, map.minus, n, to);
  else if (map.grid)
    map.grid->map(from, n, to);
  else
    std::copy(from, from + n, to);
}

class UniformQuantizer {
 public:
  // Range [r_min, r_max] (r_min <= r_max, finite); only max(r_max, -r_min) matters.
  // Throws std::invalid_argument for an unsupported bit-width or a bad range.
  UniformQuantizer(int bits, double r_min, double r_max);
  // Symmetric range [-clip, clip], clip >= 0.
  static UniformQuantizer from_clip(int bits, double clip);

  int bits() const { return bits_; }
  // max(r_max, -r_min): the largest magnitude the grid is fitted to.
  double clip() const { return clip_; }
  // Grid step s; 0 for 0 bits and for a zero range.
  double scale() const { return scale_; }
  // Integer grid bounds -2^(b-1) and 2^(b-1) - 1 (both 0 for 0 bits).
  int64_t level_min() const { return level_min_; }
  int64_t level_max() const { return level_max_; }

  float quantize(float x) const;
  void apply(std::span<float> values) const;
  // `out` must have the size of `in` (may alias it exactly).
  void apply(std::span<const float> in, std::span<float> out) const;
  // The grid indices clamp(round(x / s)) as floats, so that apply() = scale() * levels (all 0
  // for 0 bits and a zero range): the integer operands of the integer kernels. Bit-widths <= 8;
  // `out` as for apply(). Throws std::logic_error for 16 and 32 bits.
  void levels(std::span<const float> in, std::span<float> out) const;
  // levels(a - b) without storing a - b (the difference is rounded to float first, as a stored
  // one would be): ResQ's residual x_t - x_k in one pass. `out` may alias `a` or `b` exactly.
  void levels_of_difference(std::span<const float> a, std::span<const float> b,
                            std::span<float> out) const;
  // levels() as a LevelGrid; std::nullopt when all levels are 0 (0 bits, a zero range). Throws
  // as levels() does for 16 and 32 bits.
  std::optional<LevelGrid> grid() const;

 private:
  template <class Value>
  void levels_of(Value value, std::span<float> out) const;

  int bits_;
  double clip_;
  double scale_ = 0;
  float scale_f_ = 0;  // scale_ as float, for the float path of bit-widths <= 8
  int64_t level_min_ = 0;
  int64_t level_max_ = 0;
};

}  // namespace resq
