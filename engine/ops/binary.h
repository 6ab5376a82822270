// Add, Sub, Mul, Div with numpy broadcasting.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_add(const Attributes& attrs);
std::unique_ptr<Op> make_sub(const Attributes& attrs);
std::unique_ptr<Op> make_mul(const Attributes& attrs);
std::unique_ptr<Op> make_div(const Attributes& attrs);

}  // namespace resq
