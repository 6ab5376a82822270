#include "engine/ops/concat.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_concat(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
