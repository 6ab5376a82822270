// The parts of the TFLite flatbuffer schema the importer reads: field ids of the tables and the
// enum values, as documented in TensorFlow's tensorflow/lite/schema/schema.fbs. A union field
// takes two ids (its type, then its value).
#pragma once

#include <cstdint>
#include <string>

namespace resq::tflite {

// Byte offset of field `id` inside a table's vtable (after the vtable and table sizes).
constexpr uint16_t vtable_offset(int id) { return static_cast<uint16_t>(4 + 2 * id); }

namespace model_field {
constexpr int kVersion = 0;
constexpr int kOperatorCodes = 1;
constexpr int kSubgraphs = 2;
constexpr int kBuffers = 4;
}  // namespace model_field

namespace opcode_field {
constexpr int kDeprecatedBuiltinCode = 0;  // int8
constexpr int kCustomCode = 1;
constexpr int kBuiltinCode = 3;  // int32, for codes above 127
}  // namespace opcode_field

namespace subgraph_field {
constexpr int kTensors = 0;
constexpr int kInputs = 1;
constexpr int kOutputs = 2;
constexpr int kOperators = 3;
}  // namespace subgraph_field

namespace tensor_field {
constexpr int kShape = 0;
constexpr int kType = 1;
constexpr int kBuffer = 2;
constexpr int kName = 3;
constexpr int kSparsity = 6;
constexpr int kShapeSignature = 7;
}  // namespace tensor_field

namespace buffer_field {
constexpr int kData = 0;
constexpr int kOffset = 1;  // uint64: data outside the flatbuffer (models > 2 GB)
constexpr int kSize = 2;
}  // namespace buffer_field

namespace operator_field {
constexpr int kOpcodeIndex = 0;
constexpr int kInputs = 1;
constexpr int kOutputs = 2;
constexpr int kBuiltinOptions = 4;  // id 3 is the union's type
constexpr int kCustomOptions = 5;
}  // namespace operator_field

// Options tables, one namespace per table.
namespace conv_options {  // Conv2DOptions
constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kActivation = 3, kDilationW = 4,
              kDilationH = 5;
}
namespace depthwise_options {  // DepthwiseConv2DOptions
constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kDepthMultiplier = 3, kActivation = 4,
              kDilationW = 5, kDilationH = 6;
}
namespace pool_options {  // Pool2DOptions
constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kFilterW = 3, kFilterH = 4, kActivation = 5;
}
namespace fully_connected_options {
constexpr int kActivation = 0, kWeightsFormat = 1, kKeepNumDims = 2;
}
namespace binary_options {  // AddOptions, SubOptions, MulOptions, DivOptions
constexpr int kActivation = 0;
}
namespace concat_options {
constexpr int kAxis = 0, kActivation = 1;
}
namespace softmax_options {
constexpr int kBeta = 0;
}
namespace reducer_options {
constexpr int kKeepDims = 0;
}
namespace leaky_relu_options {
constexpr int kAlpha = 0;
}
namespace resize_bilinear_options {  // ids 0 and 1 are the deprecated new_height/new_width
constexpr int kAlignCorners = 2, kHalfPixelCenters = 3;
}
namespace resize_nearest_options {
constexpr int kAlignCorners = 0, kHalfPixelCenters = 1;
}
namespace transpose_conv_options {
constexpr int kPadding = 0, kStrideW = 1, kStrideH = 2, kActivation = 3;
}

enum class TensorType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
};
const char* tensor_type_name(int8_t type);

// Builtin Padding enum of the options tables.
constexpr int8_t kPaddingSame = 0;
constexpr int8_t kPaddingValid = 1;

enum Activation : int8_t {
  kActNone = 0,
  kActRelu = 1,
  kActReluN1To1 = 2,
  kActRelu6 = 3,
  kActTanh = 4,
  kActSignBit = 5,
};

enum BuiltinOp : int32_t {
  kAdd = 0,
  kAveragePool2d = 1,
  kConcatenation = 2,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2d = 17,
  kMul = 18,
  kRelu = 19,
  kReluN1To1 = 20,
  kRelu6 = 21,
  kReshape = 22,
  kResizeBilinear = 23,
  kSoftmax = 25,
  kCustom = 32,
  kPad = 34,
  kMean = 40,
  kSub = 41,
  kDiv = 42,
  kPrelu = 54,
  kTransposeConv = 67,
  kResizeNearestNeighbor = 97,
  kLeakyRelu = 98,
  kHardSwish = 117,
};
// "CONV_2D"; "BUILTIN_<code>" for codes without a name here.
std::string builtin_name(int32_t code);

}  // namespace resq::tflite
