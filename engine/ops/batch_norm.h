// BatchNormalization (inference). Usually folded into the preceding Conv at load.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_batch_norm(const Attributes& attrs);

}  // namespace resq
