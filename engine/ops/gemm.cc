#include "engine/ops/gemm.h"

#include "engine/error.h"

namespace resq {
std::unique_ptr<Op> make_gemm(const Attributes&) { throw OpError("PLACEHOLDER: not implemented yet"); }
}  // namespace resq
