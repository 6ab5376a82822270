#include "engine/ops/conv_transpose.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_conv_transpose(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
