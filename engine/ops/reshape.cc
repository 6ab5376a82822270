#include "engine/ops/reshape.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_reshape(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_flatten(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
