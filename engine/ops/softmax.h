// Softmax along an axis (opset 13 semantics; opset < 13 coerces to 2-D).
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_softmax(const Attributes& attrs);

}  // namespace resq
