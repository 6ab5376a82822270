// resqinfer's `scheme`, `bits`, `keyframe-interval` and `tau` properties (and resq-server's
// StreamConfig) as one StreamConfig.
//
// `bits` is the paper's notation; `scheme` says which part of it runs:
//   fp32     no quantization; `bits` is ignored
//   frame    the keyframe part on every frame        (W8A8->W4A4 runs as W8A8)
//   skip     the keyframe part on keyframes only     (W8A8 or W8A8->W4A4 run as W8A8->skip,
//            fp32 as fp32->skip)
//   resq     `bits` must be ResQ itself              (W8A8->W4A4)
//   dynamic  `bits` must be Dynamic-ResQ itself      (W8A8->W8A{0,4,8})
// Anything else is a contradiction and is rejected: frame with bits=fp32 (use scheme=fp32),
// resq with a bit-width pool, dynamic with a single residual bit-width, resq/dynamic with bits
// that have no residual part.
#pragma once

#include <string>

#include "engine/quant/bit_config.h"
#include "engine/resq/stream_session.h"

namespace resq {

struct StreamSettings {
  QuantScheme scheme = QuantScheme::kDynamicResQ;
  std::string bits = "W8A8->W8A{0,4,8}";
  int keyframe_interval = 4;
  double tau = 3.0;

  bool operator==(const StreamSettings&) const = default;
};

// Throws std::invalid_argument naming the property, the value and the reason.
StreamConfig resolve_stream_config(const StreamSettings& settings);

}  // namespace resq
