// BatchNormalization (opset 15): X, scale, B, input_mean, input_var; epsilon. Inference by
// default (usually folded into the preceding Conv at load); training_mode=1 normalises with
// the batch statistics and also outputs running_mean and running_var (momentum).
#pragma once

#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_batch_norm(const Attributes& attrs);

}  // namespace resq
