#include "engine/ops/prelu.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_prelu(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
