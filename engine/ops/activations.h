// Element-wise activations: Relu, Clip (Relu6), HardSigmoid, HardSwish, Sigmoid, LeakyRelu.
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_relu(const Attributes& attrs);
std::unique_ptr<Op> make_clip(const Attributes& attrs);
std::unique_ptr<Op> make_hard_sigmoid(const Attributes& attrs);
std::unique_ptr<Op> make_hard_swish(const Attributes& attrs);
std::unique_ptr<Op> make_sigmoid(const Attributes& attrs);
std::unique_ptr<Op> make_leaky_relu(const Attributes& attrs);

}  // namespace resq
