// Resize (opset 11-13+) and Upsample: nearest and linear, all coordinate transformation modes.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_resize(const Attributes& attrs);
std::unique_ptr<Op> make_upsample(const Attributes& attrs);

}  // namespace resq
