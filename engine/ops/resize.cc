#include "engine/ops/resize.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_resize(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_upsample(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
