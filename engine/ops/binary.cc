#include "engine/ops/binary.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_add(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_sub(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_mul(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_div(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
