// MatMul: numpy-style batched matrix product.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_matmul(const Attributes& attrs);

}  // namespace resq
