#include "engine/ops/activations.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_relu(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_clip(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_hard_sigmoid(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_hard_swish(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_sigmoid(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_leaky_relu(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
