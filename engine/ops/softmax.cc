#include "engine/ops/softmax.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_softmax(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
