// The configurations `resq eval` compares, and the grid text that lists them: one line per
// family, "BITS [T=a,b,...] [tau=x,y,...]", expanded to the product of the lists; '#' starts a
// comment. Frame quantization and fp32 take neither T nor tau, ResQ and skip take T, Dynamic-ResQ
// takes both, e.g.
//   W4A4
//   W8A8->W4A4 T=2,4
//   W8A8->W8A{0,4,8} T=3,6 tau=1,3,10
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/resq/stream_session.h"

namespace resq {

// A StreamConfig with the fields that matter for its scheme (tau only for Dynamic-ResQ).
struct EvalConfig {
  StreamConfig stream;
  // "W8A8->W4A4 T=4", "W8A8->W8A{0,4,8} T=3 tau=3", "W4A4".
  std::string label() const;
  bool has_period() const { return stream.bits.uses_keyframes(); }
  bool has_tau() const { return stream.bits.scheme == QuantScheme::kDynamicResQ; }
};

// Throws std::invalid_argument naming `source`, the line and the offending text.
std::vector<EvalConfig> parse_grid(std::string_view text, const std::string& source);

// The default grid (issue #4): fp32; frame quantization; ResQ, Dynamic-ResQ and skip over T;
// tau for Dynamic-ResQ in this engine's units (see docs/results.md for how they were chosen).
extern const char* const kDefaultGrid;

}  // namespace resq
