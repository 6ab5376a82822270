#include "engine/import/tflite_importer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

#include "engine/error.h"
#include "engine/import/tflite_flatbuffer.h"
#include "engine/import/tflite_schema.h"

namespace resq {
namespace {

namespace tfl = resq::tflite;
using tfl::TableRef;

// Reason of a failed check; the importer prefixes file and operator.
class ImportError : public std::runtime_error {
 public:
  explicit ImportError(const std::string& reason) : std::runtime_error(reason) {}
};

[[noreturn]] void fail(const std::string& reason) { throw ImportError(reason); }

constexpr int kNoTensor = -1;
constexpr int64_t kMaxElements = int64_t{1} << 32;

// NCHW dim d holds NHWC dim kNchwFromNhwc[d]; both layouts are only used for rank 4.
constexpr std::array<size_t, 4> kNchwFromNhwc = {0, 3, 1, 2};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};

Shape to_ir_layout(const Shape& s) {
  if (s.size() != 4) return s;
  return {s[0], s[3], s[1], s[2]};
}

// NHWC and NCHW order the elements identically when only one of C and H*W is above 1.
bool layout_is_order_free(const Shape& nhwc) {
  return nhwc.size() == 4 && (nhwc[3] == 1 || (nhwc[1] == 1 && nhwc[2] == 1));
}

int64_t checked_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) fail("shape " + shape_str(s) + " has a negative dimension");
    if (d > 0 && n > kMaxElements / d) fail("shape " + shape_str(s) + " is too large");
    n *= d;
  }
  return n;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals
  } else if (exponent == 31) {
    magnitude = mantissa ? std::nanf("") : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, sizeof(bits));
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

// A constant tensor decoded from its buffer, in the file's layout.
struct ConstData {
  Shape shape;
  DType dtype = DType::kFloat32;
  std::vector<float> f;
  std::vector<int64_t> i;

  int rank() const { return static_cast<int>(shape.size()); }
  int64_t numel() const { return shape_numel(shape); }
  double at(int64_t k) const {
    auto idx = static_cast<size_t>(k);
    return dtype == DType::kFloat32 ? static_cast<double>(f[idx]) : static_cast<double>(i[idx]);
  }
};

// out dim d = in dim perm[d].
ConstData permute(const ConstData& in, const std::vector<int64_t>& perm) {
  const size_t rank = in.shape.size();
  ConstData out;
  out.dtype = in.dtype;
  out.shape.resize(rank);
  for (size_t d = 0; d < rank; ++d) out.shape[d] = in.shape[static_cast<size_t>(perm[d])];
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * in.shape[d];
  const int64_t n = in.numel();
  out.f.resize(in.f.size());
  out.i.resize(in.i.size());
  std::vector<int64_t> index(rank, 0);  // index into `out`
  for (int64_t k = 0; k < n; ++k) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d) src += index[d] * in_strides[static_cast<size_t>(perm[d])];
    if (in.dtype == DType::kFloat32)
      out.f[static_cast<size_t>(k)] = in.f[static_cast<size_t>(src)];
    else
      out.i[static_cast<size_t>(k)] = in.i[static_cast<size_t>(src)];
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < out.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

Tensor to_tensor(const ConstData& c) {
  return c.dtype == DType::kFloat32 ? Tensor::from_floats(c.shape, c.f)
                                    : Tensor::from_ints(c.shape, c.i);
}

struct TensorInfo {
  std::string name;
  Shape shape;     // static shape, file layout
  Shape declared;  // shape_signature when present (-1 = dynamic), else shape
  int8_t type = 0;
  std::optional<ConstData> constant;
  int value = kNoValue;  // IR value of an activation once defined
};

struct OpInfo {
  size_t index = 0;
  int32_t code = 0;
  std::string custom_code;
  std::vector<int> inputs;  // tensor indices, kNoTensor for an absent optional input
  std::vector<int> outputs;
  std::optional<TableRef> options;
  std::span<const uint8_t> custom_options;
  std::string name;  // first output tensor's name
};

struct Pads2d {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  std::vector<int64_t> onnx() const { return {top, left, bottom, right}; }
};

// TensorFlow 'SAME': output ceil(in / stride), the odd padding pixel at the end.
std::pair<int64_t, int64_t> same_padding(int64_t in, int64_t kernel, int64_t stride,
                                         int64_t dilation) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
  return {total / 2, total - total / 2};
}

class Importer {
 public:
  Importer(const std::string& path, std::span<const uint8_t> bytes) : path_(path), bytes_(bytes) {}
  Graph run();

 private:
  void read_buffers(const TableRef& model);
  void read_tensors(const TableRef& subgraph);
  OpInfo read_operator(size_t index, const TableRef& op, const tfl::TableVector& opcodes);
  void import_operator(const OpInfo& op);
  void add_graph_inputs(std::span<const int32_t> inputs);
  void add_graph_outputs(std::span<const int32_t> outputs);

  // Operator translations.
  void conv2d(const OpInfo& op);
  void depthwise_conv2d(const OpInfo& op);
  void pool2d(const OpInfo& op, bool average);
  void fully_connected(const OpInfo& op);
  void binary(const OpInfo& op, const char* op_type);
  void unary(const OpInfo& op, const char* op_type, Attributes attrs = {});
  void clip(const OpInfo& op, float lo, float hi);
  void prelu(const OpInfo& op);
  void concatenation(const OpInfo& op);
  void reshape(const OpInfo& op);
  void softmax(const OpInfo& op);
  void pad(const OpInfo& op);
  void mean(const OpInfo& op);
  void resize(const OpInfo& op, bool bilinear);
  void transpose_conv(const OpInfo& op);
  void conv2d_transpose_bias(const OpInfo& op);
  void dequantize(const OpInfo& op);
  void conv_transpose(const OpInfo& op, int x_input, const ConstData& w, int bias_input,
                      int64_t stride_h, int64_t stride_w, int64_t out_h, int64_t out_w, int8_t act);

  // Operands.
  const TensorInfo& input_tensor(const OpInfo& op, size_t k) const;
  bool has_input(const OpInfo& op, size_t k) const {
    return k < op.inputs.size() && op.inputs[k] != kNoTensor;
  }
  int activation(const OpInfo& op, size_t k);
  const ConstData& constant(const OpInfo& op, size_t k, const char* role) const;
  // An element-wise operand: activations as they are, constants broadcast in the IR layout.
  int operand(const OpInfo& op, size_t k, size_t out_rank);
  int add_constant(const std::string& name, const ConstData& c);
  // Constant bias input k of length `channels`, or kNoValue when the op has none.
  int optional_bias(const OpInfo& op, size_t k, int64_t channels);
  int scalar_constant(float v);
  int ints_constant(const std::string& name, const std::vector<int64_t>& v);
  const TensorInfo& output_tensor(const OpInfo& op) const;
  Shape output_nhwc(const OpInfo& op) const { return output_tensor(op).shape; }

  // Graph building.
  int new_value(const std::string& name, const Shape& shape);
  void add_node(const std::string& op_type, const std::string& name, std::vector<int> inputs,
                std::vector<int> outputs, Attributes attrs = {});
  // Defines the operator's output tensor: the node writes it, followed by the fused activation.
  void emit(const OpInfo& op, const std::string& op_type, std::vector<int> inputs, Attributes attrs,
            int8_t act = tfl::kActNone);
  int define_output(const OpInfo& op);
  int transpose(int value, const std::vector<int64_t>& perm, const std::string& name);
  int reshape_to(int value, const Shape& shape, const std::string& name);
  int8_t activation_option(const OpInfo& op, int field) const;

  std::string path_;
  std::span<const uint8_t> bytes_;
  Graph g_;
  std::vector<std::span<const uint8_t>> buffers_;
  std::vector<TensorInfo> tensors_;
  std::map<float, int> scalar_constants_;
};

Graph Importer::run() {
  g_.source = path_;
  g_.format = "tflite";
  try {
    if (bytes_.size() < 8 || std::memcmp(bytes_.data() + 4, "TFL3", 4) != 0)
      fail("not a TFLite model (file identifier is not 'TFL3')");
    tfl::FlatbufferFile file(bytes_);
    const TableRef model = file.root("model");
    const tfl::TableVector subgraphs = model.tables(tfl::model_field::kSubgraphs, "subgraph");
    if (subgraphs.size() == 0) fail("model has no subgraph");
    const TableRef subgraph = subgraphs.at(0);
    read_buffers(model);
    read_tensors(subgraph);
    add_graph_inputs(subgraph.vector<int32_t>(tfl::subgraph_field::kInputs));

    const tfl::TableVector opcodes =
        model.tables(tfl::model_field::kOperatorCodes, "operator code");
    const tfl::TableVector ops = subgraph.tables(tfl::subgraph_field::kOperators, "operator");
    for (size_t i = 0; i < ops.size(); ++i) {
      std::string where = "operator " + std::to_string(i);
      try {
        const OpInfo op = read_operator(i, ops.at(i), opcodes);
        where +=
            " '" + op.name + "' (" +
            (op.code == tfl::kCustom ? "CUSTOM " + op.custom_code : tfl::builtin_name(op.code)) +
            ")";
        import_operator(op);
      } catch (const std::runtime_error& e) {
        throw ImportError(where + ": " + e.what());
      }
    }
    add_graph_outputs(subgraph.vector<int32_t>(tfl::subgraph_field::kOutputs));
  } catch (const ImportError& e) {
    throw ModelError(path_ + ": " + e.what());
  } catch (const tfl::FlatbufferError& e) {
    throw ModelError(path_ + ": " + e.what());
  }
  return std::move(g_);
}

void Importer::read_buffers(const TableRef& model) {
  const tfl::TableVector buffers = model.tables(tfl::model_field::kBuffers, "buffer");
  buffers_.resize(buffers.size());
  for (size_t b = 0; b < buffers.size(); ++b) {
    const TableRef buf = buffers.at(b);
    const auto offset = buf.scalar<uint64_t>(tfl::buffer_field::kOffset, 0);
    const auto size = buf.scalar<uint64_t>(tfl::buffer_field::kSize, 0);
    if (offset > 1) {  // stored after the flatbuffer, relative to the file start
      if (offset > bytes_.size() || size > bytes_.size() - offset)
        fail("buffer " + std::to_string(b) + " (" + std::to_string(size) + " bytes at offset " +
             std::to_string(offset) + ") lies outside the file (truncated or corrupt file)");
      buffers_[b] = bytes_.subspan(static_cast<size_t>(offset), static_cast<size_t>(size));
    } else {
      buffers_[b] = buf.vector<uint8_t>(tfl::buffer_field::kData);
    }
  }
}

void Importer::read_tensors(const TableRef& subgraph) {
  const tfl::TableVector tensors = subgraph.tables(tfl::subgraph_field::kTensors, "tensor");
  tensors_.resize(tensors.size());
  for (size_t t = 0; t < tensors.size(); ++t) {
    TensorInfo& info = tensors_[t];
    const TableRef tensor = tensors.at(t);
    info.name = tensor.string(tfl::tensor_field::kName);
    const std::string where = "tensor " + std::to_string(t) + " '" + info.name + "'";
    for (int32_t d : tensor.vector<int32_t>(tfl::tensor_field::kShape)) info.shape.push_back(d);
    for (int64_t d : info.shape)
      if (d < 0) fail(where + " has shape " + shape_str(info.shape) + " with a negative dimension");
    info.declared = info.shape;
    const auto signature = tensor.vector<int32_t>(tfl::tensor_field::kShapeSignature);
    if (signature.size() == info.shape.size())
      for (size_t d = 0; d < signature.size(); ++d)
        if (signature[d] == -1) info.declared[d] = -1;
    info.type = tensor.scalar<int8_t>(tfl::tensor_field::kType, 0);
    if (tensor.has(tfl::tensor_field::kSparsity)) fail(where + " is sparse (not supported)");

    const auto buffer = tensor.scalar<uint32_t>(tfl::tensor_field::kBuffer, 0);
    if (buffer >= buffers_.size())
      fail(where + " refers to buffer " + std::to_string(buffer) + ", the model has " +
           std::to_string(buffers_.size()) + " buffers");
    const std::span<const uint8_t> data = buffers_[buffer];
    if (data.empty()) continue;

    size_t elem_size = 0;
    switch (static_cast<tfl::TensorType>(info.type)) {
      case tfl::TensorType::kFloat32: elem_size = 4; break;
      case tfl::TensorType::kFloat16: elem_size = 2; break;
      case tfl::TensorType::kInt32: elem_size = 4; break;
      case tfl::TensorType::kInt64: elem_size = 8; break;
      default:
        fail(where + " is a constant of type " + tfl::tensor_type_name(info.type) +
             " (supported: FLOAT32, FLOAT16, INT32, INT64)");
    }
    const int64_t n = checked_numel(info.shape);
    if (data.size() != static_cast<size_t>(n) * elem_size)
      fail(where + " has shape " + shape_str(info.shape) + " of " +
           tfl::tensor_type_name(info.type) + " (" +
           std::to_string(static_cast<size_t>(n) * elem_size) + " bytes) but buffer " +
           std::to_string(buffer) + " holds " + std::to_string(data.size()) + " bytes");
    ConstData c;
    c.shape = info.shape;
    const auto count = static_cast<size_t>(n);
    switch (static_cast<tfl::TensorType>(info.type)) {
      case tfl::TensorType::kFloat32:
        c.f.resize(count);
        std::memcpy(c.f.data(), data.data(), data.size());
        break;
      case tfl::TensorType::kFloat16:
        c.f.resize(count);
        for (size_t k = 0; k < count; ++k) {
          uint16_t h;
          std::memcpy(&h, data.data() + 2 * k, 2);
          c.f[k] = half_to_float(h);
        }
        break;
      case tfl::TensorType::kInt32:
        c.dtype = DType::kInt64;
        c.i.resize(count);
        for (size_t k = 0; k < count; ++k) {
          int32_t v;
          std::memcpy(&v, data.data() + 4 * k, 4);
          c.i[k] = v;
        }
        break;
      default:  // INT64
        c.dtype = DType::kInt64;
        c.i.resize(count);
        std::memcpy(c.i.data(), data.data(), data.size());
        break;
    }
    info.constant = std::move(c);
  }
}

OpInfo Importer::read_operator(size_t index, const TableRef& table,
                               const tfl::TableVector& opcodes) {
  OpInfo op;
  op.index = index;
  auto read_indices = [&](int field, std::vector<int>& out, const char* what) {
    for (int32_t t : table.vector<int32_t>(field)) {
      if (t != kNoTensor && (t < 0 || static_cast<size_t>(t) >= tensors_.size()))
        fail(std::string(what) + " tensor index " + std::to_string(t) + " is out of range (" +
             std::to_string(tensors_.size()) + " tensors)");
      out.push_back(t);
    }
  };
  read_indices(tfl::operator_field::kOutputs, op.outputs, "output");
  if (op.outputs.empty() || op.outputs[0] == kNoTensor) fail("operator has no output");
  op.name = tensors_[static_cast<size_t>(op.outputs[0])].name;
  read_indices(tfl::operator_field::kInputs, op.inputs, "input");

  const auto opcode_index = table.scalar<uint32_t>(tfl::operator_field::kOpcodeIndex, 0);
  if (opcode_index >= opcodes.size())
    fail("opcode index " + std::to_string(opcode_index) + " is out of range (" +
         std::to_string(opcodes.size()) + " operator codes)");
  const TableRef opcode = opcodes.at(opcode_index);
  // Old files only set the int8 field, new ones the int32 field for codes above 127.
  op.code = std::max<int32_t>(opcode.scalar<int8_t>(tfl::opcode_field::kDeprecatedBuiltinCode, 0),
                              opcode.scalar<int32_t>(tfl::opcode_field::kBuiltinCode, 0));
  if (op.code == tfl::kCustom) op.custom_code = opcode.string(tfl::opcode_field::kCustomCode);
  op.options = table.child(tfl::operator_field::kBuiltinOptions, "builtin options");
  op.custom_options = table.vector<uint8_t>(tfl::operator_field::kCustomOptions);
  return op;
}

void Importer::import_operator(const OpInfo& op) {
  switch (op.code) {
    case tfl::kConv2d: return conv2d(op);
    case tfl::kDepthwiseConv2d: return depthwise_conv2d(op);
    case tfl::kAveragePool2d: return pool2d(op, true);
    case tfl::kMaxPool2d: return pool2d(op, false);
    case tfl::kFullyConnected: return fully_connected(op);
    case tfl::kAdd: return binary(op, "Add");
    case tfl::kSub: return binary(op, "Sub");
    case tfl::kMul: return binary(op, "Mul");
    case tfl::kDiv: return binary(op, "Div");
    case tfl::kRelu: return unary(op, "Relu");
    case tfl::kRelu6: return clip(op, 0.0f, 6.0f);
    case tfl::kReluN1To1: return clip(op, -1.0f, 1.0f);
    case tfl::kLogistic: return unary(op, "Sigmoid");
    case tfl::kHardSwish: return unary(op, "HardSwish");
    case tfl::kLeakyRelu: {
      Attributes attrs;
      attrs.set("alpha", op.options
                             ? op.options->scalar<float>(tfl::leaky_relu_options::kAlpha, 0.0f)
                             : 0.0f);
      return unary(op, "LeakyRelu", std::move(attrs));
    }
    case tfl::kPrelu: return prelu(op);
    case tfl::kConcatenation: return concatenation(op);
    case tfl::kReshape: return reshape(op);
    case tfl::kSoftmax: return softmax(op);
    case tfl::kPad: return pad(op);
    case tfl::kMean: return mean(op);
    case tfl::kResizeBilinear: return resize(op, true);
    case tfl::kResizeNearestNeighbor: return resize(op, false);
    case tfl::kTransposeConv: return transpose_conv(op);
    case tfl::kDequantize: return dequantize(op);
    case tfl::kCustom:
      if (op.custom_code == "Convolution2DTransposeBias") return conv2d_transpose_bias(op);
      fail("custom operator '" + op.custom_code + "' is not supported");
    default:
      fail("builtin operator " + tfl::builtin_name(op.code) + " (code " + std::to_string(op.code) +
           ") is not supported");
  }
}

// ---- operands -------------------------------------------------------------------------------

const TensorInfo& Importer::input_tensor(const OpInfo& op, size_t k) const {
  if (!has_input(op, k))
    fail("input " + std::to_string(k) + " is missing (the operator has " +
         std::to_string(op.inputs.size()) + " inputs)");
  return tensors_[static_cast<size_t>(op.inputs[k])];
}

int Importer::activation(const OpInfo& op, size_t k) {
  const TensorInfo& t = input_tensor(op, k);
  if (t.constant)
    fail("input " + std::to_string(k) + " '" + t.name + "' is a constant, expected an activation");
  if (t.value == kNoValue)
    fail("input '" + t.name + "' is neither a graph input nor produced by an earlier operator");
  return t.value;
}

const ConstData& Importer::constant(const OpInfo& op, size_t k, const char* role) const {
  const TensorInfo& t = input_tensor(op, k);
  if (!t.constant)
    fail(std::string(role) + " tensor '" + t.name + "' is not a constant (only constant " + role +
         " is supported)");
  return *t.constant;
}

int Importer::operand(const OpInfo& op, size_t k, size_t out_rank) {
  const TensorInfo& t = input_tensor(op, k);
  if (!t.constant) {
    const int v = activation(op, k);
    if (out_rank == 4 && t.shape.size() != 4 && !t.shape.empty())
      fail("input '" + t.name + "' of rank " + std::to_string(t.shape.size()) +
           " broadcast against rank 4 is not supported");
    return v;
  }
  const ConstData& c = *t.constant;
  if (out_rank != 4 || c.shape.empty()) return add_constant(t.name, c);
  if (c.shape.size() > 4) fail("constant '" + t.name + "' has rank above the output's");
  // Broadcasting aligns trailing dims: [C] means [1,1,1,C] in NHWC, i.e. [1,C,1,1] in NCHW.
  ConstData padded = c;
  padded.shape.insert(padded.shape.begin(), 4 - c.shape.size(), 1);
  return add_constant(t.name + "/nchw", permute(padded, kToNchw));
}

int Importer::add_constant(const std::string& name, const ConstData& c) {
  return g_.add_constant(name, to_tensor(c));
}

int Importer::scalar_constant(float v) {
  auto it = scalar_constants_.find(v);
  if (it != scalar_constants_.end()) return it->second;
  const float values[] = {v};
  const int idx = g_.add_constant("const/" + std::to_string(v), Tensor::from_floats({}, values));
  scalar_constants_[v] = idx;
  return idx;
}

int Importer::ints_constant(const std::string& name, const std::vector<int64_t>& v) {
  return g_.add_constant(name, Tensor::from_ints({static_cast<int64_t>(v.size())}, v));
}

const TensorInfo& Importer::output_tensor(const OpInfo& op) const {
  return tensors_[static_cast<size_t>(op.outputs[0])];
}

int8_t Importer::activation_option(const OpInfo& op, int field) const {
  if (!op.options) return tfl::kActNone;
  return op.options->scalar<int8_t>(field, tfl::kActNone);
}

// ---- graph building -------------------------------------------------------------------------

int Importer::new_value(const std::string& name, const Shape& shape) {
  Value v;
  v.name = name;
  v.shape = shape;
  v.shape_known = true;
  return g_.add_value(std::move(v));
}

void Importer::add_node(const std::string& op_type, const std::string& name,
                        std::vector<int> inputs, std::vector<int> outputs, Attributes attrs) {
  Node n;
  n.name = name;
  n.op_type = op_type;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = std::move(attrs);
  g_.nodes.push_back(std::move(n));
}

int Importer::define_output(const OpInfo& op) {
  if (op.outputs.size() != 1)
    fail("expected 1 output, the operator has " + std::to_string(op.outputs.size()));
  TensorInfo& t = tensors_[static_cast<size_t>(op.outputs[0])];
  if (t.constant) fail("output '" + t.name + "' has constant data");
  if (t.value != kNoValue)
    fail("output '" + t.name + "' is already defined by an earlier operator");
  if (t.type != static_cast<int8_t>(tfl::TensorType::kFloat32))
    fail("output '" + t.name + "' has type " + tfl::tensor_type_name(t.type) +
         " (only FLOAT32 activations are supported)");
  t.value = new_value(t.name, to_ir_layout(t.declared));
  return t.value;
}

void Importer::emit(const OpInfo& op, const std::string& op_type, std::vector<int> inputs,
                    Attributes attrs, int8_t act) {
  const int out = define_output(op);
  if (act == tfl::kActNone) {
    add_node(op_type, op.name, std::move(inputs), {out}, std::move(attrs));
    return;
  }
  const int pre = new_value(op.name + "/pre_activation", g_.values[static_cast<size_t>(out)].shape);
  add_node(op_type, op.name, std::move(inputs), {pre}, std::move(attrs));
  switch (act) {
    case tfl::kActRelu: add_node("Relu", op.name + "/relu", {pre}, {out}); break;
    case tfl::kActRelu6:
      add_node("Clip", op.name + "/relu6", {pre, scalar_constant(0.0f), scalar_constant(6.0f)},
               {out});
      break;
    case tfl::kActReluN1To1:
      add_node("Clip", op.name + "/relu_n1_to_1",
               {pre, scalar_constant(-1.0f), scalar_constant(1.0f)}, {out});
      break;
    default: fail("fused activation " + std::to_string(act) + " is not supported");
  }
}

int Importer::transpose(int value, const std::vector<int64_t>& perm, const std::string& name) {
  const Shape& in = g_.values[static_cast<size_t>(value)].shape;
  Shape out(in.size());
  for (size_t d = 0; d < in.size(); ++d) out[d] = in[static_cast<size_t>(perm[d])];
  const int v = new_value(name, out);
  Attributes attrs;
  attrs.set("perm", perm);
  add_node("Transpose", name, {value}, {v}, std::move(attrs));
  return v;
}

int Importer::reshape_to(int value, const Shape& shape, const std::string& name) {
  const int v = new_value(name, shape);
  add_node("Reshape", name, {value, ints_constant(name + "/shape", shape)}, {v});
  return v;
}

void Importer::add_graph_inputs(std::span<const int32_t> inputs) {
  for (int32_t i : inputs) {
    if (i < 0 || static_cast<size_t>(i) >= tensors_.size())
      fail("graph input tensor index " + std::to_string(i) + " is out of range (" +
           std::to_string(tensors_.size()) + " tensors)");
    TensorInfo& t = tensors_[static_cast<size_t>(i)];
    if (t.constant) continue;  // some converters list constants as inputs
    if (t.type != static_cast<int8_t>(tfl::TensorType::kFloat32))
      fail("graph input '" + t.name + "' has type " + tfl::tensor_type_name(t.type) +
           " (only FLOAT32 is supported)");
    const int v = new_value(t.name, t.declared);
    g_.inputs.push_back(v);
    // The file's NHWC interface is kept; the graph itself runs NCHW.
    t.value = t.declared.size() == 4 ? transpose(v, kToNchw, t.name + "/nchw") : v;
  }
}

void Importer::add_graph_outputs(std::span<const int32_t> outputs) {
  for (int32_t o : outputs) {
    if (o < 0 || static_cast<size_t>(o) >= tensors_.size())
      fail("graph output tensor index " + std::to_string(o) + " is out of range (" +
           std::to_string(tensors_.size()) + " tensors)");
    const TensorInfo& t = tensors_[static_cast<size_t>(o)];
    if (t.value == kNoValue) fail("graph output '" + t.name + "' is not produced by any operator");
    if (t.declared.size() != 4 || g_.values[static_cast<size_t>(t.value)].name != t.name) {
      g_.outputs.push_back(t.value);
      continue;
    }
    g_.values[static_cast<size_t>(t.value)].name = t.name + "/nchw";
    const int v = new_value(t.name, t.declared);
    Attributes attrs;
    attrs.set("perm", kToNhwc);
    add_node("Transpose", t.name + "/nhwc", {t.value}, {v}, std::move(attrs));
    g_.outputs.push_back(v);
  }
}

// ---- operators ------------------------------------------------------------------------------

struct SpatialOptions {
  int8_t padding = tfl::kPaddingSame;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
};

void check_spatial(const SpatialOptions& s) {
  if (s.padding != tfl::kPaddingSame && s.padding != tfl::kPaddingValid)
    fail("padding " + std::to_string(s.padding) + " is neither SAME nor VALID");
  if (s.stride_h < 1 || s.stride_w < 1) fail("strides must be >= 1");
  if (s.dilation_h < 1 || s.dilation_w < 1) fail("dilations must be >= 1");
}

Pads2d spatial_pads(const SpatialOptions& s, const Shape& x_nhwc, int64_t kh, int64_t kw) {
  Pads2d p;
  if (s.padding != tfl::kPaddingSame) return p;
  std::tie(p.top, p.bottom) = same_padding(x_nhwc[1], kh, s.stride_h, s.dilation_h);
  std::tie(p.left, p.right) = same_padding(x_nhwc[2], kw, s.stride_w, s.dilation_w);
  return p;
}

Attributes conv_attrs(const SpatialOptions& s, const Pads2d& p, int64_t kh, int64_t kw,
                      int64_t group) {
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{kh, kw});
  a.set("strides", std::vector<int64_t>{s.stride_h, s.stride_w});
  a.set("dilations", std::vector<int64_t>{s.dilation_h, s.dilation_w});
  a.set("pads", p.onnx());
  a.set("group", group);
  return a;
}

void require_rank(const std::string& what, const std::string& name, const Shape& s, size_t rank) {
  if (s.size() != rank)
    fail(what + " tensor '" + name + "' has shape " + shape_str(s) + ", expected rank " +
         std::to_string(rank));
}

int Importer::optional_bias(const OpInfo& op, size_t k, int64_t channels) {
  if (!has_input(op, k)) return kNoValue;
  const ConstData& b = constant(op, k, "bias");
  if (b.shape != Shape{channels})
    fail("bias tensor '" + input_tensor(op, k).name + "' has shape " + shape_str(b.shape) +
         ", expected " + std::to_string(channels));
  return add_constant(input_tensor(op, k).name, b);
}

void Importer::conv2d(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  require_rank("input", xt.name, xt.shape, 4);
  const int x = activation(op, 0);
  const ConstData& w = constant(op, 1, "weight");
  require_rank("weight", input_tensor(op, 1).name, w.shape, 4);
  const int64_t cout = w.shape[0], kh = w.shape[1], kw = w.shape[2], cin_per_group = w.shape[3];
  const int64_t cin = xt.shape[3];
  if (cin_per_group <= 0 || cin % cin_per_group != 0)
    fail("weight tensor '" + input_tensor(op, 1).name + "' has " + std::to_string(cin_per_group) +
         " input channels, which does not divide the input's " + std::to_string(cin));
  const int bias = optional_bias(op, 2, cout);
  SpatialOptions s;
  if (op.options) {
    namespace f = tfl::conv_options;
    s = {op.options->scalar<int8_t>(f::kPadding, 0), op.options->scalar<int32_t>(f::kStrideH, 1),
         op.options->scalar<int32_t>(f::kStrideW, 1), op.options->scalar<int32_t>(f::kDilationH, 1),
         op.options->scalar<int32_t>(f::kDilationW, 1)};
  }
  check_spatial(s);
  const int weights = add_constant(input_tensor(op, 1).name + "/oihw", permute(w, kToNchw));
  emit(op, "Conv", {x, weights, bias},
       conv_attrs(s, spatial_pads(s, xt.shape, kh, kw), kh, kw, cin / cin_per_group),
       activation_option(op, tfl::conv_options::kActivation));
}

void Importer::depthwise_conv2d(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  require_rank("input", xt.name, xt.shape, 4);
  const int x = activation(op, 0);
  const ConstData& w = constant(op, 1, "weight");
  const std::string& wname = input_tensor(op, 1).name;
  require_rank("weight", wname, w.shape, 4);
  const int64_t cin = xt.shape[3], kh = w.shape[1], kw = w.shape[2], cout = w.shape[3];
  if (w.shape[0] != 1)
    fail("weight tensor '" + wname + "' has shape " + shape_str(w.shape) + ", expected 1xHxWxC");
  if (cin <= 0 || cout % cin != 0)
    fail("weight tensor '" + wname + "' has " + std::to_string(cout) +
         " channels, not a multiple of the input's " + std::to_string(cin));
  SpatialOptions s;
  int32_t multiplier = 0;
  if (op.options) {
    namespace f = tfl::depthwise_options;
    s = {op.options->scalar<int8_t>(f::kPadding, 0), op.options->scalar<int32_t>(f::kStrideH, 1),
         op.options->scalar<int32_t>(f::kStrideW, 1), op.options->scalar<int32_t>(f::kDilationH, 1),
         op.options->scalar<int32_t>(f::kDilationW, 1)};
    multiplier = op.options->scalar<int32_t>(f::kDepthMultiplier, 0);
  }
  check_spatial(s);
  // Some converters leave depth_multiplier 0; the weight shape is authoritative then.
  if (multiplier != 0 && multiplier * cin != cout)
    fail("depth_multiplier " + std::to_string(multiplier) + " x " + std::to_string(cin) +
         " input channels != " + std::to_string(cout) + " weight channels");
  const int bias = optional_bias(op, 2, cout);
  // [1, kh, kw, C*M] -> [C*M, 1, kh, kw]
  const int weights = add_constant(wname + "/oihw", permute(w, {3, 0, 1, 2}));
  emit(op, "Conv", {x, weights, bias},
       conv_attrs(s, spatial_pads(s, xt.shape, kh, kw), kh, kw, cin),
       activation_option(op, tfl::depthwise_options::kActivation));
}

void Importer::pool2d(const OpInfo& op, bool average) {
  const TensorInfo& xt = input_tensor(op, 0);
  require_rank("input", xt.name, xt.shape, 4);
  const int x = activation(op, 0);
  if (!op.options) fail("pooling options are missing");
  namespace f = tfl::pool_options;
  SpatialOptions s{op.options->scalar<int8_t>(f::kPadding, 0),
                   op.options->scalar<int32_t>(f::kStrideH, 1),
                   op.options->scalar<int32_t>(f::kStrideW, 1), 1, 1};
  check_spatial(s);
  const int64_t kh = op.options->scalar<int32_t>(f::kFilterH, 0);
  const int64_t kw = op.options->scalar<int32_t>(f::kFilterW, 0);
  if (kh < 1 || kw < 1)
    fail("filter size " + std::to_string(kh) + "x" + std::to_string(kw) + " is invalid");
  const int8_t act = activation_option(op, f::kActivation);
  const Pads2d p = spatial_pads(s, xt.shape, kh, kw);
  if (average && kh == xt.shape[1] && kw == xt.shape[2] && p.onnx() == std::vector<int64_t>(4, 0))
    return emit(op, "GlobalAveragePool", {x}, {}, act);
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{kh, kw});
  a.set("strides", std::vector<int64_t>{s.stride_h, s.stride_w});
  a.set("pads", p.onnx());
  if (average) a.set("count_include_pad", int64_t{0});  // TF averages over valid pixels only
  emit(op, average ? "AveragePool" : "MaxPool", {x}, std::move(a), act);
}

void Importer::fully_connected(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  int x = activation(op, 0);
  const ConstData& w = constant(op, 1, "weight");
  const std::string& wname = input_tensor(op, 1).name;
  require_rank("weight", wname, w.shape, 2);
  const int64_t units = w.shape[0], depth = w.shape[1];
  if (op.options &&
      op.options->scalar<int8_t>(tfl::fully_connected_options::kWeightsFormat, 0) != 0)
    fail("shuffled weights format is not supported");
  const int bias = optional_bias(op, 2, units);
  const int64_t numel = checked_numel(xt.shape);
  if (depth <= 0 || numel % depth != 0)
    fail("input '" + xt.name + "' of shape " + shape_str(xt.shape) +
         " does not flatten to rows of " + std::to_string(depth) + " (the weight's depth)");
  if (xt.shape.size() != 2 || xt.shape[1] != depth) {
    // TFLite flattens the input in its own (NHWC) element order.
    if (xt.shape.size() == 4 && !layout_is_order_free(xt.shape))
      x = transpose(x, kToNhwc, op.name + "/nhwc");
    x = reshape_to(x, {numel / depth, depth}, op.name + "/flatten");
  }
  const Shape& out = output_nhwc(op);
  if (out.size() == 4) fail("rank-4 output is not supported");
  Attributes a;
  a.set("transB", int64_t{1});
  const int8_t act = activation_option(op, tfl::fully_connected_options::kActivation);
  if (out == Shape{numel / depth, units})
    return emit(op, "Gemm", {x, add_constant(wname, w), bias}, std::move(a), act);
  // keep_num_dims: the product keeps the input's leading dims.
  const int rows = new_value(op.name + "/gemm", {numel / depth, units});
  add_node("Gemm", op.name + "/gemm", {x, add_constant(wname, w), bias}, {rows}, std::move(a));
  emit(op, "Reshape", {rows, ints_constant(op.name + "/shape", out)}, {}, act);
}

void Importer::binary(const OpInfo& op, const char* op_type) {
  const size_t rank = output_nhwc(op).size();
  const int a = operand(op, 0, rank);
  const int b = operand(op, 1, rank);
  emit(op, op_type, {a, b}, {}, activation_option(op, tfl::binary_options::kActivation));
}

void Importer::unary(const OpInfo& op, const char* op_type, Attributes attrs) {
  emit(op, op_type, {activation(op, 0)}, std::move(attrs));
}

void Importer::clip(const OpInfo& op, float lo, float hi) {
  emit(op, "Clip", {activation(op, 0), scalar_constant(lo), scalar_constant(hi)}, {});
}

void Importer::prelu(const OpInfo& op) {
  const int x = activation(op, 0);
  constant(op, 1, "alpha");
  emit(op, "PRelu", {x, operand(op, 1, output_nhwc(op).size())}, {});
}

int64_t nchw_axis(int64_t axis, size_t rank) {
  if (axis < -static_cast<int64_t>(rank) || axis >= static_cast<int64_t>(rank))
    fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += static_cast<int64_t>(rank);
  if (rank != 4) return axis;
  static constexpr std::array<int64_t, 4> kNchwAxisOfNhwc = {0, 2, 3, 1};
  return kNchwAxisOfNhwc[static_cast<size_t>(axis)];
}

void Importer::concatenation(const OpInfo& op) {
  const size_t rank = output_nhwc(op).size();
  std::vector<int> inputs;
  for (size_t k = 0; k < op.inputs.size(); ++k) {
    if (input_tensor(op, k).shape.size() != rank)
      fail("input '" + input_tensor(op, k).name + "' has rank " +
           std::to_string(input_tensor(op, k).shape.size()) + ", the output " +
           std::to_string(rank));
    inputs.push_back(operand(op, k, rank));
  }
  if (inputs.empty()) fail("no inputs");
  Attributes a;
  const int32_t axis = op.options ? op.options->scalar<int32_t>(tfl::concat_options::kAxis, 0) : 0;
  a.set("axis", nchw_axis(axis, rank));
  emit(op, "Concat", std::move(inputs), std::move(a),
       activation_option(op, tfl::concat_options::kActivation));
}

void Importer::reshape(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  int x = activation(op, 0);
  const Shape& out = output_nhwc(op);
  if (checked_numel(out) != checked_numel(xt.shape))
    fail("output shape " + shape_str(out) + " does not hold the input's " + shape_str(xt.shape));
  // Reshape works on the file's NHWC element order.
  if (xt.shape.size() == 4 && !layout_is_order_free(xt.shape))
    x = transpose(x, kToNhwc, op.name + "/nhwc");
  if (out.size() != 4) return emit(op, "Reshape", {x, ints_constant(op.name + "/shape", out)}, {});
  if (layout_is_order_free(out))
    return emit(op, "Reshape", {x, ints_constant(op.name + "/shape", to_ir_layout(out))}, {});
  const int nhwc = reshape_to(x, out, op.name + "/reshape");
  Attributes a;
  a.set("perm", kToNchw);
  emit(op, "Transpose", {nhwc}, std::move(a));
}

void Importer::softmax(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  int x = activation(op, 0);
  const float beta =
      op.options ? op.options->scalar<float>(tfl::softmax_options::kBeta, 1.0f) : 1.0f;
  if (beta != 1.0f) {
    const int scaled = new_value(op.name + "/beta", to_ir_layout(xt.declared));
    add_node("Mul", op.name + "/beta", {x, scalar_constant(beta)}, {scaled});
    x = scaled;
  }
  Attributes a;
  a.set("axis", nchw_axis(-1, xt.shape.size()));
  emit(op, "Softmax", {x}, std::move(a));
}

void Importer::pad(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  const int x = activation(op, 0);
  const ConstData& p = constant(op, 1, "paddings");
  const size_t rank = xt.shape.size();
  if (p.dtype != DType::kInt64 || p.shape != Shape{static_cast<int64_t>(rank), 2})
    fail("paddings tensor has shape " + shape_str(p.shape) + ", expected " + std::to_string(rank) +
         "x2 integers");
  std::vector<int64_t> pads(2 * rank);
  for (size_t d = 0; d < rank; ++d) {
    const size_t src = rank == 4 ? kNchwFromNhwc[d] : d;
    pads[d] = p.i[2 * src];
    pads[rank + d] = p.i[2 * src + 1];
  }
  Attributes a;
  a.set("mode", std::string("constant"));
  emit(op, "Pad", {x, ints_constant(op.name + "/pads", pads)}, std::move(a));
}

void Importer::mean(const OpInfo& op) {
  const TensorInfo& xt = input_tensor(op, 0);
  const int x = activation(op, 0);
  const ConstData& axes = constant(op, 1, "axes");
  std::vector<int64_t> dims;
  for (int64_t k = 0; k < axes.numel(); ++k) {
    auto a = static_cast<int64_t>(axes.at(k));
    dims.push_back(a < 0 ? a + static_cast<int64_t>(xt.shape.size()) : a);
  }
  std::sort(dims.begin(), dims.end());
  if (xt.shape.size() != 4 || dims != std::vector<int64_t>{1, 2})
    fail("only the mean over height and width of a rank-4 tensor is supported");
  const bool keep_dims =
      op.options && op.options->scalar<uint8_t>(tfl::reducer_options::kKeepDims, 0);
  if (keep_dims) return emit(op, "GlobalAveragePool", {x}, {});
  const int pooled = new_value(op.name + "/pool", {xt.shape[0], xt.shape[3], 1, 1});
  add_node("GlobalAveragePool", op.name + "/pool", {x}, {pooled});
  emit(op, "Reshape", {pooled, ints_constant(op.name + "/shape", output_nhwc(op))}, {});
}

void Importer::resize(const OpInfo& op, bool bilinear) {
  const TensorInfo& xt = input_tensor(op, 0);
  require_rank("input", xt.name, xt.shape, 4);
  const int x = activation(op, 0);
  const ConstData& size = constant(op, 1, "size");
  if (size.dtype != DType::kInt64 || size.shape != Shape{2} || size.i[0] <= 0 || size.i[1] <= 0)
    fail("size tensor must hold 2 positive integers, has shape " + shape_str(size.shape));
  bool align_corners = false, half_pixel = false;
  if (op.options) {
    align_corners =
        op.options->scalar<uint8_t>(bilinear ? tfl::resize_bilinear_options::kAlignCorners
                                             : tfl::resize_nearest_options::kAlignCorners,
                                    0);
    half_pixel =
        op.options->scalar<uint8_t>(bilinear ? tfl::resize_bilinear_options::kHalfPixelCenters
                                             : tfl::resize_nearest_options::kHalfPixelCenters,
                                    0);
  }
  if (align_corners && half_pixel) fail("align_corners and half_pixel_centers are both set");
  Attributes a;
  a.set("mode", std::string(bilinear ? "linear" : "nearest"));
  std::string transform = "asymmetric";
  if (align_corners)
    transform = "align_corners";
  else if (half_pixel)
    transform = bilinear ? "half_pixel" : "tf_half_pixel_for_nn";
  a.set("coordinate_transformation_mode", transform);
  // TF's nearest rounds (align_corners) or floors the source coordinate.
  if (!bilinear) a.set("nearest_mode", std::string(align_corners ? "round_prefer_ceil" : "floor"));
  const std::vector<int64_t> sizes = {xt.shape[0], xt.shape[3], size.i[0], size.i[1]};
  emit(op, "Resize", {x, kNoValue, kNoValue, ints_constant(op.name + "/sizes", sizes)},
       std::move(a));
}

void Importer::conv_transpose(const OpInfo& op, int x_input, const ConstData& w, int bias_input,
                              int64_t stride_h, int64_t stride_w, int64_t out_h, int64_t out_w,
                              int8_t act) {
  const TensorInfo& xt = input_tensor(op, static_cast<size_t>(x_input));
  require_rank("input", xt.name, xt.shape, 4);
  const int x = activation(op, static_cast<size_t>(x_input));
  const std::string& wname = input_tensor(op, 1).name;
  require_rank("weight", wname, w.shape, 4);
  const int64_t cout = w.shape[0], kh = w.shape[1], kw = w.shape[2], cin = w.shape[3];
  if (cin != xt.shape[3])
    fail("weight tensor '" + wname + "' has " + std::to_string(cin) +
         " input channels, the input " + std::to_string(xt.shape[3]));
  if (stride_h < 1 || stride_w < 1) fail("strides must be >= 1");
  const int bias =
      bias_input >= 0 ? optional_bias(op, static_cast<size_t>(bias_input), cout) : kNoValue;
  // Full output (in-1)*stride+k, cropped TF-style: half the excess at the start, the rest at the
  // end; a shortfall (kernel < stride) is added at the end.
  auto crop = [](int64_t in, int64_t k, int64_t s, int64_t out, int64_t& begin, int64_t& end,
                 int64_t& extra) {
    const int64_t total = (in - 1) * s + k - out;
    begin = total > 0 ? total / 2 : 0;
    end = total > 0 ? total - begin : 0;
    extra = total < 0 ? -total : 0;
  };
  Pads2d p;
  int64_t extra_h, extra_w;
  crop(xt.shape[1], kh, stride_h, out_h, p.top, p.bottom, extra_h);
  crop(xt.shape[2], kw, stride_w, out_w, p.left, p.right, extra_w);
  if (extra_h >= stride_h || extra_w >= stride_w)
    fail("output size " + std::to_string(out_h) + "x" + std::to_string(out_w) +
         " is not reachable from the input with this kernel and stride");
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{kh, kw});
  a.set("strides", std::vector<int64_t>{stride_h, stride_w});
  a.set("pads", p.onnx());
  a.set("output_padding", std::vector<int64_t>{extra_h, extra_w});
  a.set("group", int64_t{1});
  // [Cout, kh, kw, Cin] -> [Cin, Cout, kh, kw]
  const int weights = add_constant(wname + "/iohw", permute(w, {3, 0, 1, 2}));
  emit(op, "ConvTranspose", {x, weights, bias}, std::move(a), act);
}

void Importer::transpose_conv(const OpInfo& op) {
  const ConstData& out_shape = constant(op, 0, "output shape");
  if (out_shape.dtype != DType::kInt64 || out_shape.shape != Shape{4})
    fail("output shape tensor must hold 4 integers, has shape " + shape_str(out_shape.shape));
  const Shape& declared = output_nhwc(op);
  if (declared != Shape(out_shape.i.begin(), out_shape.i.end()))
    fail("output shape input " + shape_str(Shape(out_shape.i.begin(), out_shape.i.end())) +
         " differs from the output tensor's " + shape_str(declared));
  const ConstData& w = constant(op, 1, "weight");
  int64_t sh = 1, sw = 1;
  int8_t act = tfl::kActNone;
  if (op.options) {
    namespace f = tfl::transpose_conv_options;
    sh = op.options->scalar<int32_t>(f::kStrideH, 1);
    sw = op.options->scalar<int32_t>(f::kStrideW, 1);
    act = op.options->scalar<int8_t>(f::kActivation, tfl::kActNone);
  }
  conv_transpose(op, 2, w, 3, sh, sw, out_shape.i[1], out_shape.i[2], act);
}

// MediaPipe's custom transposed convolution; options are TfLiteTransposeConvParams' first three
// int32 fields (padding uses TfLitePadding: 1 = SAME, 2 = VALID).
void Importer::conv2d_transpose_bias(const OpInfo& op) {
  constexpr int32_t kTfLitePaddingSame = 1, kTfLitePaddingValid = 2;
  if (op.custom_options.size() < 12)
    fail("custom options hold " + std::to_string(op.custom_options.size()) +
         " bytes, expected 3 int32 (padding, stride_w, stride_h)");
  int32_t params[3];
  std::memcpy(params, op.custom_options.data(), sizeof(params));
  const int32_t padding = params[0], stride_w = params[1], stride_h = params[2];
  if (padding != kTfLitePaddingSame && padding != kTfLitePaddingValid)
    fail("padding " + std::to_string(padding) + " is neither SAME (1) nor VALID (2)");
  const TensorInfo& xt = input_tensor(op, 0);
  require_rank("input", xt.name, xt.shape, 4);
  const ConstData& w = constant(op, 1, "weight");
  require_rank("weight", input_tensor(op, 1).name, w.shape, 4);
  if (stride_h < 1 || stride_w < 1) fail("strides must be >= 1");
  int64_t out_h = xt.shape[1] * stride_h, out_w = xt.shape[2] * stride_w;
  if (padding == kTfLitePaddingValid) {
    out_h = (xt.shape[1] - 1) * stride_h + std::max<int64_t>(w.shape[1], stride_h);
    out_w = (xt.shape[2] - 1) * stride_w + std::max<int64_t>(w.shape[2], stride_w);
  }
  conv_transpose(op, 0, w, 2, stride_h, stride_w, out_h, out_w, tfl::kActNone);
}

void Importer::dequantize(const OpInfo& op) {
  const TensorInfo& in = input_tensor(op, 0);
  if (!in.constant)
    fail("input '" + in.name + "' is not a constant (quantized activations are not supported)");
  if (in.type != static_cast<int8_t>(tfl::TensorType::kFloat16))
    fail("input '" + in.name + "' has type " + tfl::tensor_type_name(in.type) +
         " (only FLOAT16 constants are supported)");
  if (op.outputs.size() != 1) fail("expected 1 output");
  TensorInfo& out = tensors_[static_cast<size_t>(op.outputs[0])];
  if (out.type != static_cast<int8_t>(tfl::TensorType::kFloat32))
    fail("output '" + out.name + "' has type " + tfl::tensor_type_name(out.type) +
         ", expected FLOAT32");
  if (out.shape != in.shape)
    fail("output '" + out.name + "' has shape " + shape_str(out.shape) + ", the input " +
         shape_str(in.shape));
  if (out.value != kNoValue || out.constant) fail("output '" + out.name + "' is already defined");
  // Folded: the float16 data was widened when the buffer was read.
  out.constant = in.constant;
}

}  // namespace

Graph import_tflite(const std::string& path, std::span<const uint8_t> bytes) {
  return Importer(path, bytes).run();
}

}  // namespace resq
