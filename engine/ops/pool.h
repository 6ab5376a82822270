// MaxPool (N-d, pads, auto_pad, ceil_mode, dilations, storage_order, optional int64 Indices),
// AveragePool (N-d, count_include_pad, ceil_mode, auto_pad) and GlobalAveragePool.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_max_pool(const Attributes& attrs);
std::unique_ptr<Op> make_average_pool(const Attributes& attrs);
std::unique_ptr<Op> make_global_average_pool(const Attributes& attrs);

}  // namespace resq
