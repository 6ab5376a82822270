#include "engine/resq/keyframe_cache.h"

namespace resq {

void KeyframeCache::clear() {
  for (Layer& l : layers_) l = Layer{};
  outputs_.clear();
  ready_ = false;
}

size_t KeyframeCache::bytes() const {
  size_t total = 0;
  for (const Layer& l : layers_) total += l.x_k.bytes() + l.z_k.bytes();
  for (const Tensor& t : outputs_) total += t.bytes();
  return total;
}

}  // namespace resq
