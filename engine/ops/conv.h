// Conv: N-d (1-D, 2-D, 3-D) grouped / depthwise convolution (NCHW...), strides, dilations,
// explicit or auto pads, optional bias. 1x1 convs are a plain GEMM on the input, depthwise 2-D
// convs a direct loop, 2-D convs of few input channels a GEMM reading the kernel taps on the
// input planes (conv_reads_tap_rows), the rest im2col + GEMM.
#pragma once

#include <memory>

#include "engine/op.h"
#include "engine/tensor.h"

namespace resq {

std::unique_ptr<Op> make_conv(const Attributes& attrs);

// True for a 2-D kernel larger than 1x1 over at most 4 input channels a group (an image): the
// conv then copies no im2col columns, and on quantized levels it beats the integer kernel, whose
// im2col copy dominates at so few products per output (the default model's first conv on AVX2:
// 0.37 vs 0.63 ms).
bool conv_reads_tap_rows(int64_t channels_per_group, const Shape& kernel);

// True when the conv maps a quantized input (Epilogue::input) to levels as it copies it to its
// planes (2-D depthwise and conv_reads_tap_rows convs); the others map a copy first.
bool conv_maps_levels_as_it_reads(int64_t channels_per_group, const Shape& kernel);

}  // namespace resq
