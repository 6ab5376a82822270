// Op type name -> factory. Names are the IR's (ONNX) op types.
#pragma once

#include <string>
#include <vector>

#include "engine/op.h"

namespace resq {

// nullptr when the op type is not supported.
OpFactory find_op(const std::string& op_type);
std::vector<std::string> supported_ops();

}  // namespace resq
