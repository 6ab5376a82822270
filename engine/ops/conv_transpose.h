// ConvTranspose: N-d transposed convolution (NCHW...), groups, strides, dilations, pads,
// output_padding, output_shape and auto_pad (ONNX rules). GEMM into columns, then col2im.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_conv_transpose(const Attributes& attrs);

}  // namespace resq
