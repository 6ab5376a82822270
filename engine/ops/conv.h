// Conv: grouped/depthwise 2-D convolution (NCHW), stride, dilation, explicit or auto pads.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_conv(const Attributes& attrs);

}  // namespace resq
