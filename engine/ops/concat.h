// Concat along an axis.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_concat(const Attributes& attrs);

}  // namespace resq
