// A stream's memory after its last frame (StreamTarget::memory, the per-stream gauges).
#pragma once

#include <cstddef>

namespace resq::server {

struct StreamMemory {
  size_t keyframe_cache_bytes = 0;     // KeyframeCache: x_k and z_k of every linear layer
  size_t activation_buffer_bytes = 0;  // the executor's buffers for the layers' outputs
  size_t scratch_bytes = 0;            // work buffers: quantized layers, policy, ops
};

}  // namespace resq::server
