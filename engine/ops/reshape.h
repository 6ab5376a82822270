// Reshape (0 and -1 in the shape input) and Flatten.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_reshape(const Attributes& attrs);
std::unique_ptr<Op> make_flatten(const Attributes& attrs);

}  // namespace resq
