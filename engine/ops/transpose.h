// Transpose with a permutation (default: reverse the axes).
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_transpose(const Attributes& attrs);

}  // namespace resq
