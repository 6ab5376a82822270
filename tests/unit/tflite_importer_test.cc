#include "engine/import/tflite_importer.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/error.h"
#include "engine/executor.h"
#include "engine/import/tflite_schema.h"
#include "engine/model.h"

namespace resq {
namespace {

namespace tfl = resq::tflite;

const std::string kModelPath = std::string(RESQ_ASSET_DIR) + "/selfie_segmentation.tflite";
const std::string kGoldenDir = "/work/shared/golden/selfie_segmentation";

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) ADD_FAILURE() << "cannot open " << path;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<float> read_floats(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

// ---- a small TFLite writer using the same field ids as the importer --------------------------

using OptionValue = std::variant<int8_t, int32_t, float>;
struct Option {
  int field;
  OptionValue value;
};

struct TensorSpec {
  TensorSpec(std::string n, std::vector<int32_t> s, tfl::TensorType t = tfl::TensorType::kFloat32,
             std::vector<uint8_t> d = {})
      : name(std::move(n)), shape(std::move(s)), type(t), data(std::move(d)) {}
  std::string name;
  std::vector<int32_t> shape;
  tfl::TensorType type = tfl::TensorType::kFloat32;
  std::vector<uint8_t> data;  // empty for activations
  int buffer = -1;            // -1: own buffer when data is set, else the empty buffer 0
};

struct OpSpec {
  OpSpec(int32_t c, std::vector<int32_t> in, std::vector<int32_t> out, std::vector<Option> opts,
         std::string custom = {}, std::vector<uint8_t> custom_opts = {})
      : code(c),
        inputs(std::move(in)),
        outputs(std::move(out)),
        options(std::move(opts)),
        custom_code(std::move(custom)),
        custom_options(std::move(custom_opts)) {}
  int32_t code;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  std::vector<Option> options;
  std::string custom_code;
  std::vector<uint8_t> custom_options;
};

struct ModelSpec {
  std::vector<TensorSpec> tensors;
  std::vector<OpSpec> ops;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
};

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<uint8_t> build(const ModelSpec& spec) {
  using flatbuffers::Offset;
  using flatbuffers::Table;
  using tfl::vtable_offset;
  flatbuffers::FlatBufferBuilder fb;

  std::vector<Offset<Table>> buffers;
  auto add_buffer = [&](const std::vector<uint8_t>& data) {
    auto vec = data.empty() ? Offset<flatbuffers::Vector<uint8_t>>() : fb.CreateVector(data);
    const auto start = fb.StartTable();
    if (!data.empty()) fb.AddOffset(vtable_offset(tfl::buffer_field::kData), vec);
    buffers.push_back(Offset<Table>(fb.EndTable(start)));
    return static_cast<uint32_t>(buffers.size() - 1);
  };
  add_buffer({});

  std::vector<Offset<Table>> tensors;
  for (const TensorSpec& t : spec.tensors) {
    const uint32_t buffer = t.buffer >= 0    ? static_cast<uint32_t>(t.buffer)
                            : t.data.empty() ? 0
                                             : add_buffer(t.data);
    auto shape = fb.CreateVector(t.shape);
    auto name = fb.CreateString(t.name);
    const auto start = fb.StartTable();
    fb.AddOffset(vtable_offset(tfl::tensor_field::kShape), shape);
    fb.AddElement<int8_t>(vtable_offset(tfl::tensor_field::kType), static_cast<int8_t>(t.type), 0);
    fb.AddElement<uint32_t>(vtable_offset(tfl::tensor_field::kBuffer), buffer, 0);
    fb.AddOffset(vtable_offset(tfl::tensor_field::kName), name);
    tensors.push_back(Offset<Table>(fb.EndTable(start)));
  }

  std::vector<Offset<Table>> opcodes, ops;
  for (const OpSpec& op : spec.ops) {
    auto custom =
        op.custom_code.empty() ? Offset<flatbuffers::String>() : fb.CreateString(op.custom_code);
    auto start = fb.StartTable();
    fb.AddElement<int8_t>(vtable_offset(tfl::opcode_field::kDeprecatedBuiltinCode),
                          static_cast<int8_t>(std::min(op.code, 127)), 0);
    fb.AddElement<int32_t>(vtable_offset(tfl::opcode_field::kBuiltinCode), op.code, 0);
    if (!op.custom_code.empty())
      fb.AddOffset(vtable_offset(tfl::opcode_field::kCustomCode), custom);
    opcodes.push_back(Offset<Table>(fb.EndTable(start)));

    start = fb.StartTable();
    for (const Option& o : op.options) {
      const auto field = vtable_offset(o.field);
      if (auto* i8 = std::get_if<int8_t>(&o.value)) fb.AddElement<int8_t>(field, *i8, 0);
      if (auto* i32 = std::get_if<int32_t>(&o.value)) fb.AddElement<int32_t>(field, *i32, 0);
      if (auto* f = std::get_if<float>(&o.value)) fb.AddElement<float>(field, *f, 0.0f);
    }
    const auto options = Offset<Table>(fb.EndTable(start));
    auto inputs = fb.CreateVector(op.inputs);
    auto outputs = fb.CreateVector(op.outputs);
    auto custom_options = fb.CreateVector(op.custom_options);
    start = fb.StartTable();
    fb.AddElement<uint32_t>(vtable_offset(tfl::operator_field::kOpcodeIndex),
                            static_cast<uint32_t>(opcodes.size() - 1), 0);
    fb.AddOffset(vtable_offset(tfl::operator_field::kInputs), inputs);
    fb.AddOffset(vtable_offset(tfl::operator_field::kOutputs), outputs);
    fb.AddOffset(vtable_offset(tfl::operator_field::kBuiltinOptions), options);
    fb.AddOffset(vtable_offset(tfl::operator_field::kCustomOptions), custom_options);
    ops.push_back(Offset<Table>(fb.EndTable(start)));
  }

  auto tensor_vec = fb.CreateVector(tensors);
  auto input_vec = fb.CreateVector(spec.inputs);
  auto output_vec = fb.CreateVector(spec.outputs);
  auto op_vec = fb.CreateVector(ops);
  auto start = fb.StartTable();
  fb.AddOffset(vtable_offset(tfl::subgraph_field::kTensors), tensor_vec);
  fb.AddOffset(vtable_offset(tfl::subgraph_field::kInputs), input_vec);
  fb.AddOffset(vtable_offset(tfl::subgraph_field::kOutputs), output_vec);
  fb.AddOffset(vtable_offset(tfl::subgraph_field::kOperators), op_vec);
  const auto subgraph = Offset<Table>(fb.EndTable(start));

  auto opcode_vec = fb.CreateVector(opcodes);
  auto subgraph_vec = fb.CreateVector(std::vector<Offset<Table>>{subgraph});
  auto buffer_vec = fb.CreateVector(buffers);
  start = fb.StartTable();
  fb.AddElement<uint32_t>(vtable_offset(tfl::model_field::kVersion), 3, 0);
  fb.AddOffset(vtable_offset(tfl::model_field::kOperatorCodes), opcode_vec);
  fb.AddOffset(vtable_offset(tfl::model_field::kSubgraphs), subgraph_vec);
  fb.AddOffset(vtable_offset(tfl::model_field::kBuffers), buffer_vec);
  fb.Finish(Offset<Table>(fb.EndTable(start)), "TFL3");
  return {fb.GetBufferPointer(), fb.GetBufferPointer() + fb.GetSize()};
}

std::vector<uint8_t> floats(int64_t n, float first = 0.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = first + static_cast<float>(i);
  return bytes_of(v);
}

const Node* find_node(const Graph& g, const std::string& op_type, size_t nth = 0) {
  for (const Node& n : g.nodes)
    if (n.op_type == op_type && nth-- == 0) return &n;
  return nullptr;
}

const Tensor& const_input(const Graph& g, const Node& n, size_t k) {
  const Value& v = g.values[static_cast<size_t>(n.inputs[k])];
  EXPECT_TRUE(v.constant) << v.name;
  return *v.constant;
}

// x [1,4,4,2] -> CONV_2D 3x3 stride 2 SAME, fused RELU6, weights [3,3,3,2] counting up.
ModelSpec conv_model() {
  ModelSpec m;
  m.tensors = {{"x", {1, 4, 4, 2}},
               {"w", {3, 3, 3, 2}, tfl::TensorType::kFloat32, floats(54)},
               {"b", {3}, tfl::TensorType::kFloat32, floats(3)},
               {"y", {1, 2, 2, 3}}};
  m.ops = {{tfl::kConv2d,
            {0, 1, 2},
            {3},
            {{tfl::conv_options::kPadding, tfl::kPaddingSame},
             {tfl::conv_options::kStrideW, 2},
             {tfl::conv_options::kStrideH, 2},
             {tfl::conv_options::kActivation, int8_t{tfl::kActRelu6}}}}};
  m.inputs = {0};
  m.outputs = {3};
  return m;
}

Graph import(const ModelSpec& m) {
  const std::vector<uint8_t> bytes = build(m);
  return import_tflite("m.tflite", bytes);
}

std::string import_error(const ModelSpec& m) {
  try {
    import(m);
  } catch (const ModelError& e) {
    return e.what();
  }
  ADD_FAILURE() << "import succeeded, expected a ModelError";
  return {};
}

// ---- structure of small models ----------------------------------------------------------------

TEST(TfliteImporter, ConvLayoutPadsAndBoundaryTransposes) {
  const Graph g = import(conv_model());
  EXPECT_EQ(g.format, "tflite");
  EXPECT_EQ(g.source, "m.tflite");
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.values[static_cast<size_t>(g.inputs[0])].name, "x");
  EXPECT_EQ(g.values[static_cast<size_t>(g.inputs[0])].shape, (Shape{1, 4, 4, 2}));
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].name, "y");
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].shape, (Shape{1, 2, 2, 3}));

  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.nodes[0].op_type, "Transpose");
  EXPECT_EQ(g.nodes[0].attrs.get_ints("perm"), (std::vector<int64_t>{0, 3, 1, 2}));
  const Node& conv = g.nodes[1];
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.name, "y");
  EXPECT_EQ(conv.attrs.get_ints("pads"),
            (std::vector<int64_t>{0, 0, 1, 1}));  // TF puts the odd pixel last
  EXPECT_EQ(conv.attrs.get_ints("strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv.attrs.get_ints("kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(conv.attrs.get_int("group"), 1);
  const Tensor& w = const_input(g, conv, 1);
  ASSERT_EQ(w.shape(), (Shape{3, 2, 3, 3}));
  // OHWI element (o=1, h=2, w=0, i=1) = 1*18 + 2*6 + 0*2 + 1 = 31 lands at OIHW (1, 1, 2, 0).
  EXPECT_EQ(w.f32()[1 * 18 + 1 * 9 + 2 * 3 + 0], 31.0f);
  EXPECT_EQ(g.nodes[2].op_type, "Clip");
  EXPECT_EQ(const_input(g, g.nodes[2], 2).f32()[0], 6.0f);
  EXPECT_EQ(g.nodes[3].op_type, "Transpose");
  EXPECT_EQ(g.nodes[3].attrs.get_ints("perm"), (std::vector<int64_t>{0, 2, 3, 1}));
  EXPECT_EQ(g.values[static_cast<size_t>(conv.outputs[0])].shape, (Shape{1, 3, 2, 2}));
}

TEST(TfliteImporter, DepthwiseWeightsAndGroup) {
  ModelSpec m;
  m.tensors = {{"x", {1, 5, 5, 2}},
               {"w", {1, 3, 3, 4}, tfl::TensorType::kFloat32, floats(36)},
               {"y", {1, 5, 5, 4}}};
  m.ops = {{tfl::kDepthwiseConv2d,
            {0, 1, -1},
            {2},
            {{tfl::depthwise_options::kStrideW, 1},
             {tfl::depthwise_options::kStrideH, 1},
             {tfl::depthwise_options::kDepthMultiplier, 2}}}};
  m.inputs = {0};
  m.outputs = {2};
  const Graph g = import(m);
  const Node* conv = find_node(g, "Conv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.get_int("group"), 2);
  EXPECT_EQ(conv->attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(conv->inputs[2], kNoValue);
  const Tensor& w = const_input(g, *conv, 1);
  ASSERT_EQ(w.shape(), (Shape{4, 1, 3, 3}));
  // [1,kh,kw,C*M] element (h=1, w=2, c=3) = 1*12 + 2*4 + 3 = 23 lands at (3, 0, 1, 2).
  EXPECT_EQ(w.f32()[3 * 9 + 1 * 3 + 2], 23.0f);
}

TEST(TfliteImporter, ChannelConstantOfBinaryOpBecomesNchw) {
  ModelSpec m;
  m.tensors = {{"x", {1, 2, 2, 3}},
               {"c", {3}, tfl::TensorType::kFloat32, floats(3, 1.0f)},
               {"y", {1, 2, 2, 3}}};
  m.ops = {{tfl::kMul, {0, 1}, {2}, {{tfl::binary_options::kActivation, int8_t{tfl::kActRelu}}}}};
  m.inputs = {0};
  m.outputs = {2};
  const Graph g = import(m);
  const Node* mul = find_node(g, "Mul");
  ASSERT_NE(mul, nullptr);
  EXPECT_EQ(const_input(g, *mul, 1).shape(), (Shape{1, 3, 1, 1}));
  EXPECT_NE(find_node(g, "Relu"), nullptr);
}

TEST(TfliteImporter, ConcatAxisAndMeanAndResize) {
  ModelSpec m;
  m.tensors = {{"a", {1, 2, 2, 3}},
               {"b", {1, 2, 2, 1}},
               {"cat", {1, 2, 2, 4}},
               {"size", {2}, tfl::TensorType::kInt32, bytes_of(std::vector<int32_t>{4, 6})},
               {"up", {1, 4, 6, 4}},
               {"axes", {2}, tfl::TensorType::kInt32, bytes_of(std::vector<int32_t>{1, 2})},
               {"mean", {1, 4}}};
  m.ops = {{tfl::kConcatenation, {0, 1}, {2}, {{tfl::concat_options::kAxis, -1}}},
           {tfl::kResizeBilinear,
            {2, 3},
            {4},
            {{tfl::resize_bilinear_options::kHalfPixelCenters, int8_t{1}}}},
           {tfl::kMean, {4, 5}, {6}, {}}};
  m.inputs = {0, 1};
  m.outputs = {6};
  const Graph g = import(m);
  const Node* concat = find_node(g, "Concat");
  ASSERT_NE(concat, nullptr);
  EXPECT_EQ(concat->attrs.get_int("axis"), 1);
  const Node* resize = find_node(g, "Resize");
  ASSERT_NE(resize, nullptr);
  EXPECT_EQ(resize->attrs.get_string("mode", ""), "linear");
  EXPECT_EQ(resize->attrs.get_string("coordinate_transformation_mode", ""), "half_pixel");
  const Tensor& sizes = const_input(g, *resize, 3);
  EXPECT_EQ(std::vector<int64_t>(sizes.ints().begin(), sizes.ints().end()),
            (std::vector<int64_t>{1, 4, 4, 6}));
  ASSERT_NE(find_node(g, "GlobalAveragePool"), nullptr);
  const Node* reshape = find_node(g, "Reshape");
  ASSERT_NE(reshape, nullptr);
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].shape, (Shape{1, 4}));
  EXPECT_EQ(g.outputs[0], reshape->outputs[0]);  // rank-2 output: no boundary transpose
}

TEST(TfliteImporter, DequantizedFloat16IsFoldedAndTransposeConvBias) {
  // Convolution2DTransposeBias: x [1,2,2,2], weights [3,2,2,2] (float16 1.0 behind DEQUANTIZE).
  std::vector<uint16_t> halves(24, 0x3C00);
  halves[1] = 0xC000;  // -2.0
  halves[2] = 0x3555;  // 0.33325
  ModelSpec m;
  m.tensors = {{"x", {1, 2, 2, 2}},
               {"w16", {3, 2, 2, 2}, tfl::TensorType::kFloat16, bytes_of(halves)},
               {"w", {3, 2, 2, 2}},
               {"b", {3}, tfl::TensorType::kFloat32, floats(3)},
               {"y", {1, 4, 4, 3}}};
  m.ops = {{tfl::kDequantize, {1}, {2}, {}},
           {tfl::kCustom,
            {0, 2, 3},
            {4},
            {},
            "Convolution2DTransposeBias",
            bytes_of(std::vector<int32_t>{1, 2, 2})}};
  m.inputs = {0};
  m.outputs = {4};
  const Graph g = import(m);
  const Node* ct = find_node(g, "ConvTranspose");
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(ct->attrs.get_ints("strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ct->attrs.get_ints("pads"), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(ct->attrs.get_ints("output_padding"), (std::vector<int64_t>{0, 0}));
  const Tensor& w = const_input(g, *ct, 1);
  ASSERT_EQ(w.shape(), (Shape{2, 3, 2, 2}));
  // [Cout,kh,kw,Cin] element 1 = (0,0,0,1) -> [Cin,Cout,kh,kw] (1,0,0,0); element 2 = (0,0,1,0).
  EXPECT_EQ(w.f32()[12], -2.0f);
  EXPECT_NEAR(w.f32()[1], 0.33325f, 1e-5);
  EXPECT_EQ(w.f32()[0], 1.0f);
  EXPECT_EQ(g.values[static_cast<size_t>(ct->outputs[0])].shape, (Shape{1, 3, 4, 4}));
}

// ---- small models run through the executor, against TensorFlow-semantics references -----------

std::vector<float> ramp(int64_t n, float scale, float offset) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7) % 11) * scale + offset;
  return v;
}

std::vector<float> run_nhwc(const ModelSpec& m, const Shape& in_shape,
                            const std::vector<float>& x) {
  Executor exec(std::make_shared<Graph>(import(m)));
  const std::vector<Tensor> in = {Tensor::from_floats(in_shape, x)};
  const std::vector<Tensor> out = exec.run(in);
  EXPECT_EQ(out.size(), 1u);
  return std::vector<float>(out[0].floats().begin(), out[0].floats().end());
}

// TF 'SAME' begin padding: output ceil(in/stride), the odd pixel at the end.
int64_t same_pad_begin(int64_t in, int64_t k, int64_t stride) {
  const int64_t out = (in + stride - 1) / stride;
  return std::max<int64_t>((out - 1) * stride + k - in, 0) / 2;
}

TEST(TfliteImporter, ConvAndDepthwiseComputeLikeTensorFlow) {
  constexpr int64_t H = 5, W = 4, C = 3, O = 4, K = 3, S = 2, OH = 3, OW = 2, M = 2;
  const std::vector<float> x = ramp(H * W * C, 0.25f, -1.0f);
  const std::vector<float> w = ramp(O * K * K * C, 0.125f, -0.5f);
  const std::vector<float> b = {0.5f, -0.25f, 0.0f, 1.0f};
  const std::vector<float> dw = ramp(K * K * O * M, -0.1f, 0.4f);
  ModelSpec m;
  m.tensors = {{"x", {1, H, W, C}},
               {"w", {O, K, K, C}, tfl::TensorType::kFloat32, bytes_of(w)},
               {"b", {O}, tfl::TensorType::kFloat32, bytes_of(b)},
               {"y", {1, OH, OW, O}},
               {"dw", {1, K, K, O * M}, tfl::TensorType::kFloat32, bytes_of(dw)},
               {"z", {1, OH, OW, O * M}}};
  m.ops = {{tfl::kConv2d,
            {0, 1, 2},
            {3},
            {{tfl::conv_options::kStrideW, int32_t{S}},
             {tfl::conv_options::kStrideH, int32_t{S}},
             {tfl::conv_options::kActivation, int8_t{tfl::kActRelu6}}}},
           {tfl::kDepthwiseConv2d,
            {3, 4, -1},
            {5},
            {{tfl::depthwise_options::kStrideW, 1},
             {tfl::depthwise_options::kStrideH, 1},
             {tfl::depthwise_options::kDepthMultiplier, int32_t{M}}}}};
  m.inputs = {0};
  m.outputs = {5};

  // Reference in NHWC: conv (stride 2, SAME) + RELU6, then depthwise 3x3 (stride 1, SAME).
  std::vector<float> y(OH * OW * O);
  const int64_t pt = same_pad_begin(H, K, S), pl = same_pad_begin(W, K, S);
  for (int64_t oy = 0; oy < OH; ++oy)
    for (int64_t ox = 0; ox < OW; ++ox)
      for (int64_t o = 0; o < O; ++o) {
        float acc = b[static_cast<size_t>(o)];
        for (int64_t ky = 0; ky < K; ++ky)
          for (int64_t kx = 0; kx < K; ++kx) {
            const int64_t iy = oy * S + ky - pt, ix = ox * S + kx - pl;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (int64_t c = 0; c < C; ++c)
              acc += x[static_cast<size_t>((iy * W + ix) * C + c)] *
                     w[static_cast<size_t>(((o * K + ky) * K + kx) * C + c)];
          }
        y[static_cast<size_t>((oy * OW + ox) * O + o)] = std::clamp(acc, 0.0f, 6.0f);
      }
  std::vector<float> z(OH * OW * O * M);
  for (int64_t oy = 0; oy < OH; ++oy)
    for (int64_t ox = 0; ox < OW; ++ox)
      for (int64_t oc = 0; oc < O * M; ++oc) {
        float acc = 0;
        for (int64_t ky = 0; ky < K; ++ky)
          for (int64_t kx = 0; kx < K; ++kx) {
            const int64_t iy = oy + ky - 1, ix = ox + kx - 1;
            if (iy < 0 || iy >= OH || ix < 0 || ix >= OW) continue;
            acc += y[static_cast<size_t>((iy * OW + ix) * O + oc / M)] *
                   dw[static_cast<size_t>((ky * K + kx) * O * M + oc)];
          }
        z[static_cast<size_t>((oy * OW + ox) * O * M + oc)] = acc;
      }
  const std::vector<float> got = run_nhwc(m, {1, H, W, C}, x);
  ASSERT_EQ(got.size(), z.size());
  for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(got[i], z[i], 1e-4) << i;
}

TEST(TfliteImporter, TransposeConvBiasComputesLikeMediaPipe) {
  // Stride 2, 3x3 kernel, SAME: output in*2; the full (in-1)*2+3 output loses its last row/col.
  constexpr int64_t H = 3, W = 2, C = 2, O = 3, K = 3, S = 2;
  const std::vector<float> x = ramp(H * W * C, 0.5f, -1.0f);
  const std::vector<float> w = ramp(O * K * K * C, 0.25f, -0.75f);
  const std::vector<float> b = {0.1f, 0.2f, -0.3f};
  ModelSpec m;
  m.tensors = {{"x", {1, H, W, C}},
               {"w", {O, K, K, C}, tfl::TensorType::kFloat32, bytes_of(w)},
               {"b", {O}, tfl::TensorType::kFloat32, bytes_of(b)},
               {"y", {1, H * S, W * S, O}}};
  m.ops = {{tfl::kCustom,
            {0, 1, 2},
            {3},
            {},
            "Convolution2DTransposeBias",
            bytes_of(std::vector<int32_t>{1, S, S})}};
  m.inputs = {0};
  m.outputs = {3};
  std::vector<float> y(H * S * W * S * O);
  for (size_t i = 0; i < y.size(); ++i) y[i] = b[i % O];
  for (int64_t iy = 0; iy < H; ++iy)
    for (int64_t ix = 0; ix < W; ++ix)
      for (int64_t ky = 0; ky < K; ++ky)
        for (int64_t kx = 0; kx < K; ++kx) {
          const int64_t oy = iy * S + ky, ox = ix * S + kx;  // begin padding is 0 here
          if (oy >= H * S || ox >= W * S) continue;
          for (int64_t o = 0; o < O; ++o)
            for (int64_t c = 0; c < C; ++c)
              y[static_cast<size_t>((oy * W * S + ox) * O + o)] +=
                  x[static_cast<size_t>((iy * W + ix) * C + c)] *
                  w[static_cast<size_t>(((o * K + ky) * K + kx) * C + c)];
        }
  const std::vector<float> got = run_nhwc(m, {1, H, W, C}, x);
  ASSERT_EQ(got.size(), y.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(got[i], y[i], 1e-4) << i;
}

TEST(TfliteImporter, ReshapeFlattensInFileOrder) {
  // NHWC [1,2,2,3] flattened to [1,12] must keep the file's element order despite NCHW inside.
  ModelSpec m;
  m.tensors = {{"x", {1, 2, 2, 3}},
               {"shape", {2}, tfl::TensorType::kInt32, bytes_of(std::vector<int32_t>{1, 12})},
               {"y", {1, 12}}};
  m.ops = {{tfl::kReshape, {0, 1}, {2}, {}}};
  m.inputs = {0};
  m.outputs = {2};
  const std::vector<float> x = ramp(12, 1.0f, 0.0f);
  EXPECT_EQ(run_nhwc(m, {1, 2, 2, 3}, x), x);
}

TEST(TfliteImporter, AveragePoolAndFullyConnectedComputeLikeTensorFlow) {
  // AVERAGE_POOL_2D 2x2 stride 2 SAME on 3x3 (TF averages valid pixels only), then
  // FULLY_CONNECTED on the NHWC-flattened [1,2,2,2] result.
  constexpr int64_t H = 3, W = 3, C = 2, P = 2, U = 3;
  const std::vector<float> x = ramp(H * W * C, 1.0f, -3.0f);
  const std::vector<float> fc = ramp(U * P * P * C, 0.5f, -1.0f);
  const std::vector<float> b = {1.0f, 2.0f, 3.0f};
  ModelSpec m;
  m.tensors = {{"x", {1, H, W, C}},
               {"pool", {1, P, P, C}},
               {"w", {U, P * P * C}, tfl::TensorType::kFloat32, bytes_of(fc)},
               {"b", {U}, tfl::TensorType::kFloat32, bytes_of(b)},
               {"y", {1, U}}};
  m.ops = {{tfl::kAveragePool2d,
            {0},
            {1},
            {{tfl::pool_options::kStrideW, 2},
             {tfl::pool_options::kStrideH, 2},
             {tfl::pool_options::kFilterW, 2},
             {tfl::pool_options::kFilterH, 2}}},
           {tfl::kFullyConnected, {1, 2, 3}, {4}, {}}};
  m.inputs = {0};
  m.outputs = {4};
  std::vector<float> pool(P * P * C);
  for (int64_t py = 0; py < P; ++py)
    for (int64_t px = 0; px < P; ++px)
      for (int64_t c = 0; c < C; ++c) {
        float sum = 0;
        int count = 0;
        for (int64_t iy = py * 2; iy < std::min<int64_t>(py * 2 + 2, H); ++iy)
          for (int64_t ix = px * 2; ix < std::min<int64_t>(px * 2 + 2, W); ++ix, ++count)
            sum += x[static_cast<size_t>((iy * W + ix) * C + c)];
        pool[static_cast<size_t>((py * P + px) * C + c)] = sum / static_cast<float>(count);
      }
  std::vector<float> y(b);
  for (size_t u = 0; u < U; ++u)
    for (size_t k = 0; k < pool.size(); ++k) y[u] += fc[u * pool.size() + k] * pool[k];
  const std::vector<float> got = run_nhwc(m, {1, H, W, C}, x);
  ASSERT_EQ(got.size(), y.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(got[i], y[i], 1e-4) << i;
}

// ---- the real model ---------------------------------------------------------------------------

TEST(TfliteImporter, RealModelStructure) {
  const std::vector<uint8_t> bytes = read_file(kModelPath);
  ASSERT_FALSE(bytes.empty()) << kModelPath;
  const Graph g = import_tflite(kModelPath, bytes);
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.outputs.size(), 1u);
  const Value& in = g.values[static_cast<size_t>(g.inputs[0])];
  const Value& out = g.values[static_cast<size_t>(g.outputs[0])];
  EXPECT_EQ(in.name, "input_1");
  EXPECT_EQ(in.shape, (Shape{1, 256, 256, 3}));
  EXPECT_EQ(out.name, "activation_10");
  EXPECT_EQ(out.shape, (Shape{1, 256, 256, 1}));
  std::map<std::string, int> counts;
  int64_t params = 0;
  for (const Node& n : g.nodes) ++counts[n.op_type];
  for (const Value& v : g.values)
    if (v.constant && v.constant->dtype() == DType::kFloat32 && v.constant->rank() > 0)
      params += v.constant->numel();
  EXPECT_GT(counts["Conv"], 20);
  EXPECT_GT(counts["ConvTranspose"], 0);
  EXPECT_GT(counts["HardSwish"], 0);
  EXPECT_GT(counts["Resize"], 0);
  EXPECT_EQ(counts["Transpose"], 2);  // only at the boundary
  EXPECT_NEAR(static_cast<double>(params), 106e3, 3e3);
}

TEST(TfliteImporter, RealModelMatchesGolden) {
  std::shared_ptr<Graph> g = load_model(kModelPath);
  Executor exec(g);
  for (const char* frame : {"vtest_f100", "vtest_f101", "webcam_f10", "webcam_f11"}) {
    const std::vector<float> input = read_floats(kGoldenDir + "/" + frame + ".input.f32");
    const std::vector<float> expected = read_floats(kGoldenDir + "/" + frame + ".output.f32");
    ASSERT_EQ(input.size(), 256u * 256u * 3u) << frame;
    ASSERT_EQ(expected.size(), 256u * 256u) << frame;
    const std::vector<Tensor> inputs = {Tensor::from_floats({1, 256, 256, 3}, input)};
    const std::vector<Tensor> out = exec.run(inputs);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].shape(), (Shape{1, 256, 256, 1}));
    double max_diff = 0;
    size_t same_side = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      const float y = out[0].f32()[i];
      max_diff = std::max(max_diff, static_cast<double>(std::fabs(y - expected[i])));
      if ((y > 0.5f) == (expected[i] > 0.5f)) ++same_side;
    }
    const double same =
        100.0 * static_cast<double>(same_side) / static_cast<double>(expected.size());
    std::printf("%s: max |diff| %.3g, %.4f%% on the same side of 0.5\n", frame, max_diff, same);
    EXPECT_LE(max_diff, 1e-3) << frame;
    EXPECT_GE(same, 99.9) << frame;
  }
}

// ---- errors -----------------------------------------------------------------------------------

TEST(TfliteImporter, TruncatedRealModel_n) {
  const std::vector<uint8_t> bytes = read_file(kModelPath);
  ASSERT_GT(bytes.size(), 100000u);
  for (size_t len :
       {size_t{0}, size_t{4}, size_t{8}, size_t{12}, size_t{64}, size_t{1000}, size_t{50000},
        bytes.size() / 2, bytes.size() - 4096, bytes.size() - 100, bytes.size() - 1}) {
    const std::span<const uint8_t> cut(bytes.data(), len);
    try {
      import_tflite("cut.tflite", cut);
      ADD_FAILURE() << "a file cut at " << len << " bytes was accepted";
    } catch (const ModelError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.tflite: ", 0), 0u) << e.what();
    }
  }
}

TEST(TfliteImporter, CorruptedBytesNeverCrash_n) {
  const std::vector<uint8_t> original = read_file(kModelPath);
  ASSERT_FALSE(original.empty());
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> bytes = original;
    // Corrupt the flatbuffer's structure (tables, vtables, offsets), not just weight values.
    for (int k = 0; k < 4; ++k)
      bytes[rng() % std::min<size_t>(bytes.size(), 4096)] ^= static_cast<uint8_t>(rng());
    for (int k = 0; k < 4; ++k)
      bytes[bytes.size() - 1 - rng() % 8192] ^= static_cast<uint8_t>(rng());
    try {
      import_tflite("bad.tflite", bytes);
    } catch (const ModelError&) {
    }
  }
}

TEST(TfliteImporter, WrongMagic_n) {
  std::vector<uint8_t> bytes = build(conv_model());
  bytes[4] = 'X';
  EXPECT_THROW(import_tflite("m.tflite", bytes), ModelError);
  try {
    import_tflite("m.tflite", bytes);
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("TFL3"), std::string::npos) << e.what();
  }
}

TEST(TfliteImporter, UnsupportedBuiltinOp_n) {
  ModelSpec m = conv_model();
  m.ops[0].code = 28;  // TANH
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("m.tflite: operator 0 'y'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("TANH"), std::string::npos) << msg;
}

TEST(TfliteImporter, UnsupportedCustomOp_n) {
  ModelSpec m = conv_model();
  m.ops[0].code = tfl::kCustom;
  m.ops[0].custom_code = "MaxPoolingWithArgmax2D";
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("MaxPoolingWithArgmax2D"), std::string::npos) << msg;
}

TEST(TfliteImporter, ConvWeightWrongRank_n) {
  ModelSpec m = conv_model();
  m.tensors[1].shape = {3, 3, 6};
  const std::string msg = import_error(m);
  EXPECT_NE(
      msg.find(
          "m.tflite: operator 0 'y' (CONV_2D): weight tensor 'w' has shape 3x3x6, expected rank 4"),
      std::string::npos)
      << msg;
}

TEST(TfliteImporter, BiasLengthMismatch_n) {
  ModelSpec m = conv_model();
  m.tensors[2].shape = {2};
  m.tensors[2].data = floats(2);
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("bias tensor 'b' has shape 2, expected 3"), std::string::npos) << msg;
}

TEST(TfliteImporter, TensorIndexOutOfRange_n) {
  ModelSpec m = conv_model();
  m.ops[0].inputs[1] = 17;
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("tensor index 17 is out of range"), std::string::npos) << msg;
}

TEST(TfliteImporter, BufferIndexOutOfRange_n) {
  ModelSpec m = conv_model();
  m.tensors[1].buffer = 99;
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("tensor 1 'w' refers to buffer 99"), std::string::npos) << msg;
}

TEST(TfliteImporter, BufferSizeMismatch_n) {
  ModelSpec m = conv_model();
  m.tensors[1].data.resize(100);
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("tensor 1 'w' has shape 3x3x3x2 of FLOAT32 (216 bytes) but buffer"),
            std::string::npos)
      << msg;
}

TEST(TfliteImporter, UndefinedActivationInput_n) {
  ModelSpec m = conv_model();
  m.inputs = {};
  const std::string msg = import_error(m);
  EXPECT_NE(msg.find("input 'x' is neither a graph input nor produced"), std::string::npos) << msg;
}

}  // namespace
}  // namespace resq
