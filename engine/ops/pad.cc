#include "engine/ops/pad.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_pad(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
