// Bit configuration notation of the paper:
//   "fp32"               no quantization
//   "W8A8"               frame quantization: every frame at 8-bit weights / activations
//   "W8A8->W4A4"         ResQ: keyframes at W8A8, residual frames at W4A4
//   "W8A8->W8A{0,4,8}"   Dynamic-ResQ: residual weights at 8 bits, residual activations at a
//                        per-pixel bit-width from the pool {0, 4, 8}
//   "W8A8->skip"         frame skipping (the baseline): run the network at W8A8 on keyframes
//   "fp32->skip"         only and repeat its output for the next T-1 frames
// Weights and keyframe activations take bits in {2..8, 16, 32}; residual activations may also
// be 0 ("send nothing"). The text is parsed exactly: no spaces, upper-case W and A.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace resq {

enum class QuantScheme { kFloat, kFrame, kResQ, kDynamicResQ, kSkip };

// "fp32", "frame", "resq", "dynamic", "skip".
const char* scheme_name(QuantScheme s);

struct BitConfig {
  QuantScheme scheme = QuantScheme::kFloat;
  // Keyframe bits (kResQ, kDynamicResQ, kSkip), or every frame's bits (kFrame); 32 for kFloat.
  int key_w = 32;
  int key_a = 32;
  // Residual bits; 0 and an empty pool for kFloat, kFrame and kSkip. The pool is ascending and
  // unique: one entry for kResQ, one or more for kDynamicResQ.
  int res_w = 0;
  std::vector<int> res_a_pool;

  // Throws std::invalid_argument naming the text, the position and the reason. A pool given
  // out of order is sorted; a repeated bit-width is an error.
  static BitConfig parse(std::string_view text);
  // Inverse of parse() (pools print ascending).
  std::string to_string() const;

  // Keyframes every T frames and something kept between them.
  bool uses_keyframes() const {
    return scheme == QuantScheme::kResQ || scheme == QuantScheme::kDynamicResQ ||
           scheme == QuantScheme::kSkip;
  }

  bool operator==(const BitConfig&) const = default;
};

}  // namespace resq
