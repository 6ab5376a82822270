// Between the resq.v1 messages and the engine's types.
#pragma once

#include <string>

#include "engine/resq/frame_cost.h"
#include "engine/stream/stream_settings.h"
#include "engine/tensor.h"
#include "resq/v1/stream.pb.h"

namespace resq::server {

// `base` with the fields `config` sets. Throws std::invalid_argument for an unknown scheme
// name (the rest is validated by resolve_stream_config).
StreamSettings merged_settings(StreamSettings base, const v1::StreamConfig& config);

// Every field set: the scheme as requested, the bits as they run.
v1::StreamConfig to_proto(const StreamSettings& settings, const StreamConfig& running);

void to_proto(const FrameCost& cost, v1::FrameStats* stats);

// The model's probability map as an 8-bit grayscale PNG (0..255 = 0..1).
std::string mask_png(const Tensor& mask);

}  // namespace resq::server
