#include "engine/ops/conv.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_conv(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
