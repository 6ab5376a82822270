#include "engine/op_registry.h"

#include <map>

#include "engine/ops/activations.h"
#include "engine/ops/batch_norm.h"
#include "engine/ops/binary.h"
#include "engine/ops/concat.h"
#include "engine/ops/conv.h"
#include "engine/ops/conv_transpose.h"
#include "engine/ops/gemm.h"
#include "engine/ops/matmul.h"
#include "engine/ops/pad.h"
#include "engine/ops/pool.h"
#include "engine/ops/prelu.h"
#include "engine/ops/reshape.h"
#include "engine/ops/resize.h"
#include "engine/ops/softmax.h"
#include "engine/ops/transpose.h"

namespace resq {
namespace {

const std::map<std::string, OpFactory>& table() {
  static const std::map<std::string, OpFactory> ops = {
      {"Add", make_add},
      {"AveragePool", make_average_pool},
      {"BatchNormalization", make_batch_norm},
      {"Clip", make_clip},
      {"Concat", make_concat},
      {"Conv", make_conv},
      {"ConvTranspose", make_conv_transpose},
      {"Div", make_div},
      {"Flatten", make_flatten},
      {"Gemm", make_gemm},
      {"GlobalAveragePool", make_global_average_pool},
      {"HardSigmoid", make_hard_sigmoid},
      {"HardSwish", make_hard_swish},
      {"LeakyRelu", make_leaky_relu},
      {"MatMul", make_matmul},
      {"MaxPool", make_max_pool},
      {"Mul", make_mul},
      {"Pad", make_pad},
      {"PRelu", make_prelu},
      {"Relu", make_relu},
      {"Reshape", make_reshape},
      {"Resize", make_resize},
      {"Sigmoid", make_sigmoid},
      {"Softmax", make_softmax},
      {"Sub", make_sub},
      {"Transpose", make_transpose},
      {"Upsample", make_upsample},
  };
  return ops;
}

}  // namespace

OpFactory find_op(const std::string& op_type) {
  auto it = table().find(op_type);
  return it == table().end() ? nullptr : it->second;
}

std::vector<std::string> supported_ops() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : table()) names.push_back(name);
  return names;
}

}  // namespace resq
