// MaxPool, AveragePool (2-D, pads, ceil_mode, count_include_pad) and GlobalAveragePool.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_max_pool(const Attributes& attrs);
std::unique_ptr<Op> make_average_pool(const Attributes& attrs);
std::unique_ptr<Op> make_global_average_pool(const Attributes& attrs);

}  // namespace resq
