// PRelu: x < 0 ? slope * x : x, slope broadcast to x.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_prelu(const Attributes& attrs);

}  // namespace resq
