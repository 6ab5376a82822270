// Pad: constant, reflect and edge modes; pads as attribute or input.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_pad(const Attributes& attrs);

}  // namespace resq
