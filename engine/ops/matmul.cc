#include "engine/ops/matmul.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_matmul(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
