#include "engine/ops/pool.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_max_pool(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_average_pool(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
std::unique_ptr<Op> make_global_average_pool(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
