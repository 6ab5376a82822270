// ConvTranspose: 2-D transposed convolution (NCHW), groups, output_padding/output_shape, auto pads.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_conv_transpose(const Attributes& attrs);

}  // namespace resq
