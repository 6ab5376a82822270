// A stream's activation memory after its last frame (StreamTarget::memory, the per-stream gauges).
#pragma once

#include <cstddef>

namespace resq::server {

struct StreamMemory {
  size_t keyframe_cache_bytes = 0;     // KeyframeCache: x_k and z_k of every linear layer
  size_t activation_buffer_bytes = 0;  // the executor's buffers for the layers' outputs
};

}  // namespace resq::server
