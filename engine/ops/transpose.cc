#include "engine/ops/transpose.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_transpose(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
