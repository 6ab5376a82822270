#include "engine/ops/batch_norm.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_batch_norm(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
