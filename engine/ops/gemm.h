// Gemm: Y = alpha * op(A) * op(B) + beta * C.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_gemm(const Attributes& attrs);

}  // namespace resq
