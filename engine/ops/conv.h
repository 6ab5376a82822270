// Conv: N-d (1-D, 2-D, 3-D) grouped / depthwise convolution (NCHW...), strides, dilations,
// explicit or auto pads, optional bias. 1x1 convs are a plain GEMM on the input, depthwise 2-D
// convs a direct loop, the rest im2col + GEMM.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_conv(const Attributes& attrs);

}  // namespace resq
