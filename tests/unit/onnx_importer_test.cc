#include "engine/import/onnx_importer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/executor.h"
#include "engine/import/tensor_proto.h"
#include "onnx/onnx_pb.h"

namespace resq {
namespace {

using onnx::AttributeProto;
using onnx::ModelProto;
using onnx::NodeProto;
using onnx::TensorProto;

// Small models built with the protobuf API.
struct ModelBuilder {
  ModelProto model;

  explicit ModelBuilder(int64_t opset = 13) {
    model.set_ir_version(8);
    auto* o = model.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
  }
  onnx::GraphProto& graph() { return *model.mutable_graph(); }

  void value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
             const std::string& name, std::vector<int64_t> dims, int32_t elem_type) {
    auto* v = list->Add();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) {
      if (d < 0)
        shape->add_dim()->set_dim_param("batch");
      else
        shape->add_dim()->set_dim_value(d);
    }
  }
  void input(const std::string& name, std::vector<int64_t> dims,
             int32_t type = TensorProto::FLOAT) {
    value(graph().mutable_input(), name, std::move(dims), type);
  }
  void output(const std::string& name, std::vector<int64_t> dims,
              int32_t type = TensorProto::FLOAT) {
    value(graph().mutable_output(), name, std::move(dims), type);
  }
  void initializer(const std::string& name, std::vector<int64_t> dims, std::vector<float> values) {
    *graph().add_initializer() =
        tensor_to_proto(Tensor::from_floats(std::move(dims), values), name);
  }
  NodeProto& node(const std::string& op, std::vector<std::string> inputs,
                  std::vector<std::string> outputs, const std::string& name = "") {
    NodeProto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(i);
    for (auto& o : outputs) n->add_output(o);
    return *n;
  }

  Graph import() const {
    const std::string bytes = model.SerializeAsString();
    return import_onnx("m.onnx", {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  // The import error, or "" when the import succeeded.
  std::string error() const {
    try {
      import();
    } catch (const ModelError& e) {
      return e.what();
    }
    return "";
  }
};

AttributeProto& attr(NodeProto& n, const std::string& name, AttributeProto::AttributeType type) {
  AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(type);
  return *a;
}
void attr_int(NodeProto& n, const std::string& name, int64_t v) {
  attr(n, name, AttributeProto::INT).set_i(v);
}
void attr_float(NodeProto& n, const std::string& name, float v) {
  attr(n, name, AttributeProto::FLOAT).set_f(v);
}
void attr_ints(NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  AttributeProto& a = attr(n, name, AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}
void attr_floats(NodeProto& n, const std::string& name, std::vector<float> v) {
  AttributeProto& a = attr(n, name, AttributeProto::FLOATS);
  for (float x : v) a.add_floats(x);
}

const Node& only_node(const Graph& g) {
  EXPECT_EQ(g.nodes.size(), 1u);
  return g.nodes.at(0);
}
const Tensor& constant_input(const Graph& g, const Node& n, size_t i) {
  const int v = n.inputs.at(i);
  EXPECT_NE(v, kNoValue);
  EXPECT_TRUE(g.values.at(static_cast<size_t>(v)).constant)
      << "input " << i << " is not a constant";
  return *g.values.at(static_cast<size_t>(v)).constant;
}
bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Conv (weights as initializers) -> Relu, with a symbolic batch dim.
ModelBuilder conv_relu() {
  ModelBuilder m;
  m.input("x", {-1, 1, 4, 4});
  m.initializer("w", {2, 1, 3, 3}, std::vector<float>(18, 0.5f));
  m.initializer("b", {2}, {1, 2});
  NodeProto& conv = m.node("Conv", {"x", "w", "b"}, {"c"}, "conv1");
  attr_ints(conv, "kernel_shape", {3, 3});
  m.node("Relu", {"c"}, {"y"});
  m.output("y", {-1, 2, 2, 2});
  return m;
}

TEST(OnnxImporter, ImportsConvRelu) {
  Graph g = conv_relu().import();
  EXPECT_EQ(g.format, "onnx");
  EXPECT_EQ(g.source, "m.onnx");
  ASSERT_EQ(g.inputs.size(), 1u);
  const Value& x = g.values[static_cast<size_t>(g.inputs[0])];
  EXPECT_EQ(x.name, "x");
  EXPECT_TRUE(x.shape_known);
  EXPECT_EQ(x.shape, (Shape{-1, 1, 4, 4}));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].name, "conv1");
  EXPECT_EQ(g.nodes[0].attrs.get_ints("kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(constant_input(g, g.nodes[0], 1).shape(), (Shape{2, 1, 3, 3}));
  EXPECT_EQ(g.nodes[1].name, "y");  // unnamed node: named after its first output
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0], g.nodes[1].outputs[0]);
  EXPECT_EQ(g.values[static_cast<size_t>(g.outputs[0])].shape, (Shape{-1, 2, 2, 2}));
}

TEST(OnnxImporter, InitializerListedAsInputIsNotAGraphInput) {
  ModelBuilder m = conv_relu();
  m.input("w", {2, 1, 3, 3});
  Graph g = m.import();
  EXPECT_EQ(g.inputs.size(), 1u);
}

TEST(OnnxImporter, SortsNodesTopologically) {
  ModelBuilder m;
  m.input("x", {4});
  m.node("Sigmoid", {"a"}, {"y"}, "second");
  m.node("Relu", {"x"}, {"a"}, "first");
  m.output("y", {4});
  Graph g = m.import();
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].name, "first");
  EXPECT_EQ(g.nodes[1].name, "second");
}

TEST(OnnxImporter, Cycle_n) {
  ModelBuilder m;
  m.input("x", {4});
  m.node("Add", {"x", "b"}, {"a"}, "n1");
  m.node("Relu", {"a"}, {"b"}, "n2");
  m.output("b", {4});
  const std::string err = m.error();
  EXPECT_TRUE(contains(err, "m.onnx: node 'n1' (Add): is part of a cycle")) << err;
}

TEST(OnnxImporter, AbsentOptionalInput) {
  ModelBuilder m;
  m.input("x", {4});
  m.initializer("hi", {}, {6});
  m.node("Clip", {"x", "", "hi"}, {"y"});
  m.output("y", {4});
  Graph g = m.import();
  const Node& n = only_node(g);
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(n.inputs[1], kNoValue);
}

TEST(OnnxImporter, TruncatedModel_n) {
  std::ifstream f(
      std::string(RESQ_TEST_DATA_DIR) + "/onnx-node/test_basic_conv_with_padding/model.onnx",
      std::ios::binary);
  ASSERT_TRUE(f);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                   std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);
  EXPECT_NO_THROW(import_onnx("m.onnx", bytes));
  // Every proper prefix: either protobuf rejects it or a required part (graph, opset) is missing.
  for (size_t len = 0; len < bytes.size(); ++len)
    EXPECT_THROW(import_onnx("m.onnx", {bytes.data(), len}), ModelError) << "cut at " << len;
}

TEST(OnnxImporter, GarbageBytes_n) {
  const std::vector<uint8_t> garbage = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x13, 0x37};
  try {
    import_onnx("bad.onnx", garbage);
    ADD_FAILURE() << "no error";
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "bad.onnx: not a valid ONNX model (protobuf parse failed)");
  }
  const std::string text = "this is a text file, not a model\n";
  EXPECT_THROW(import_onnx("t.onnx", {reinterpret_cast<const uint8_t*>(text.data()), text.size()}),
               ModelError);
}

TEST(OnnxImporter, NoGraph_n) {
  ModelBuilder m;
  EXPECT_EQ(m.error(), "m.onnx: model has no graph");
}

TEST(OnnxImporter, UnknownOp_n) {
  ModelBuilder m;
  m.input("x", {4});
  m.node("FancyOp", {"x"}, {"y"}, "f");
  m.output("y", {4});
  EXPECT_EQ(m.error(), "m.onnx: node 'f' (FancyOp): unsupported op type 'FancyOp'");
}

TEST(OnnxImporter, NonDefaultDomain_n) {
  ModelBuilder m;
  auto* o = m.model.add_opset_import();
  o->set_domain("com.microsoft");
  o->set_version(1);
  m.input("x", {4});
  m.node("Relu", {"x"}, {"y"}, "r").set_domain("com.microsoft");
  m.output("y", {4});
  EXPECT_TRUE(contains(m.error(), "node 'r' (Relu): domain 'com.microsoft' is not supported"));
}

TEST(OnnxImporter, MissingInitializer_n) {
  ModelBuilder m;
  m.input("x", {1, 1, 4, 4});
  m.node("Conv", {"x", "w"}, {"y"}, "conv1");
  m.output("y", {1, 1, 2, 2});
  const std::string err = m.error();
  EXPECT_TRUE(contains(err, "m.onnx: node 'conv1' (Conv): input 'w'")) << err;
  EXPECT_TRUE(contains(err, "missing initializer")) << err;
}

TEST(OnnxImporter, WrongInitializerSize_n) {
  ModelBuilder m = conv_relu();
  TensorProto* w = m.graph().mutable_initializer(0);
  w->set_dims(0, 3);  // 3x1x3x3 but 18 values
  const std::string err = m.error();
  EXPECT_TRUE(contains(err, "m.onnx: initializer 'w': raw_data has 72 bytes")) << err;
}

TEST(OnnxImporter, Opset18Rejected_n) {
  ModelBuilder m(18);
  m.input("x", {4});
  m.node("Relu", {"x"}, {"y"});
  m.output("y", {4});
  EXPECT_EQ(m.error(), "m.onnx: opset 18 is not supported (opsets 7-17)");
}

TEST(OnnxImporter, NoDefaultOpset_n) {
  ModelBuilder m;
  m.model.clear_opset_import();
  m.input("x", {4});
  m.node("Relu", {"x"}, {"y"});
  m.output("y", {4});
  EXPECT_TRUE(contains(m.error(), "no default-domain"));
}

TEST(OnnxImporter, PreOpset7OnlyForUnchangedOps) {
  ModelBuilder ok(6);  // HardSigmoid-6 is still the current form
  ok.input("x", {4});
  ok.node("HardSigmoid", {"x"}, {"y"});
  ok.output("y", {4});
  EXPECT_NO_THROW(ok.import());

  ModelBuilder old(6);  // Add-6 had the legacy broadcast attribute
  old.input("x", {4});
  old.node("Add", {"x", "x"}, {"y"}, "add");
  old.output("y", {4});
  EXPECT_EQ(old.error(),
            "m.onnx: node 'add' (Add): the opset 6 form of Add is not supported (opsets 7-17)");
}

TEST(OnnxImporter, ConstantNodes) {
  ModelBuilder m;
  NodeProto& c1 = m.node("Constant", {}, {"c1"});
  *attr(c1, "value", AttributeProto::TENSOR).mutable_t() =
      tensor_to_proto(Tensor::from_floats({2}, std::vector<float>{1, 2}), "");
  attr_float(m.node("Constant", {}, {"c2"}), "value_float", 0.5f);
  attr_ints(m.node("Constant", {}, {"c3"}), "value_ints", {4, 5, 6});
  attr_int(m.node("Constant", {}, {"c4"}), "value_int", 7);
  attr_floats(m.node("Constant", {}, {"c5"}), "value_floats", {1.5f});
  m.node("Add", {"c1", "c2"}, {"y"});
  m.output("y", {2});
  Graph g = m.import();
  const Node& add = only_node(g);
  EXPECT_EQ(constant_input(g, add, 0).f32()[1], 2.f);
  EXPECT_EQ(constant_input(g, add, 1).rank(), 0);
  EXPECT_EQ(constant_input(g, add, 1).f32()[0], 0.5f);
  const Value& c3 = g.values[static_cast<size_t>(g.find_value("c3"))];
  ASSERT_TRUE(c3.constant);
  EXPECT_EQ(c3.constant->dtype(), DType::kInt64);
  EXPECT_EQ(c3.constant->i64()[2], 6);
  EXPECT_EQ(g.values[static_cast<size_t>(g.find_value("c4"))].constant->i64()[0], 7);
  EXPECT_EQ(g.values[static_cast<size_t>(g.find_value("c5"))].constant->shape(), (Shape{1}));
}

TEST(OnnxImporter, ConstantAttributeWrongType_n) {
  ModelBuilder m;
  attr_ints(m.node("Constant", {}, {"c"}, "k"), "value_float", {1});
  m.output("c", {1});
  EXPECT_EQ(m.error(),
            "m.onnx: node 'k' (Constant): attribute 'value_float' has type INTS, expected FLOAT");
}

TEST(OnnxImporter, ConstantStringUnsupported_n) {
  ModelBuilder m;
  attr(m.node("Constant", {}, {"c"}, "k"), "value_string", AttributeProto::STRING).set_s("hi");
  m.output("c", {1});
  EXPECT_TRUE(
      contains(m.error(), "node 'k' (Constant): attribute 'value_string' is not supported"));
}

TEST(OnnxImporter, UnsupportedAttributeType_n) {
  ModelBuilder m;
  m.input("x", {4});
  attr(m.node("Relu", {"x"}, {"y"}, "r"), "body", AttributeProto::GRAPH);
  m.output("y", {4});
  EXPECT_EQ(m.error(),
            "m.onnx: node 'r' (Relu): attribute 'body' has type GRAPH, which is not supported");
}

TEST(OnnxImporter, SoftmaxBeforeOpset13Coerces2d) {
  ModelBuilder old(11);
  old.input("x", {2, 3, 4});
  old.node("Softmax", {"x"}, {"y"});
  old.output("y", {2, 3, 4});
  Graph g = old.import();
  EXPECT_EQ(only_node(g).attrs.get_int("coerce_2d", 0), 1);
  EXPECT_EQ(only_node(g).attrs.get_int("axis", -1), 1);

  ModelBuilder current(13);
  current.input("x", {2, 3, 4});
  current.node("Softmax", {"x"}, {"y"});
  current.output("y", {2, 3, 4});
  Graph g13 = current.import();
  EXPECT_FALSE(only_node(g13).attrs.has("coerce_2d"));
}

TEST(OnnxImporter, SoftmaxAxisWrongType_n) {
  ModelBuilder m(11);
  m.input("x", {2, 3});
  attr_float(m.node("Softmax", {"x"}, {"y"}, "s"), "axis", 1.5f);
  m.output("y", {2, 3});
  EXPECT_EQ(m.error(), "m.onnx: node 's' (Softmax): attribute 'axis' is not an int");
}

TEST(OnnxImporter, ClipBeforeOpset11TakesConstantInputs) {
  ModelBuilder m(6);
  m.input("x", {4});
  NodeProto& clip = m.node("Clip", {"x"}, {"y"});
  attr_float(clip, "min", -1.f);
  attr_float(clip, "max", 6.f);
  m.output("y", {4});
  Graph g = m.import();
  const Node& n = only_node(g);
  EXPECT_FALSE(n.attrs.has("min"));
  EXPECT_FALSE(n.attrs.has("max"));
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(constant_input(g, n, 1).f32()[0], -1.f);
  EXPECT_EQ(constant_input(g, n, 2).f32()[0], 6.f);

  ModelBuilder max_only(6);
  max_only.input("x", {4});
  attr_float(max_only.node("Clip", {"x"}, {"y"}), "max", 6.f);
  max_only.output("y", {4});
  Graph g2 = max_only.import();
  ASSERT_EQ(only_node(g2).inputs.size(), 3u);
  EXPECT_EQ(only_node(g2).inputs[1], kNoValue);
}

TEST(OnnxImporter, PadBeforeOpset11TakesConstantInputs) {
  ModelBuilder m(7);
  m.input("x", {1, 2});
  NodeProto& pad = m.node("Pad", {"x"}, {"y"});
  attr_ints(pad, "pads", {0, 1, 0, 2});
  attr_float(pad, "value", 3.f);
  m.output("y", {1, 5});
  Graph g = m.import();
  const Node& n = only_node(g);
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(constant_input(g, n, 1).dtype(), DType::kInt64);
  EXPECT_EQ(constant_input(g, n, 1).i64()[3], 2);
  EXPECT_EQ(constant_input(g, n, 2).f32()[0], 3.f);
  EXPECT_FALSE(n.attrs.has("pads"));
}

TEST(OnnxImporter, UpsampleOpset7TakesConstantScales) {
  ModelBuilder m(7);
  m.input("x", {1, 1, 2, 2});
  attr_floats(m.node("Upsample", {"x"}, {"y"}), "scales", {1, 1, 2, 2});
  m.output("y", {1, 1, 4, 4});
  Graph g = m.import();
  const Node& n = only_node(g);
  ASSERT_EQ(n.inputs.size(), 2u);
  EXPECT_EQ(constant_input(g, n, 1).f32()[3], 2.f);
}

TEST(OnnxImporter, ResizeOpset10GetsAbsentRoi) {
  ModelBuilder m(10);
  m.input("x", {1, 1, 2, 2});
  m.initializer("scales", {4}, {1, 1, 2, 2});
  m.node("Resize", {"x", "scales"}, {"y"});
  m.output("y", {1, 1, 4, 4});
  Graph g = m.import();
  const Node& n = only_node(g);
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(n.inputs[1], kNoValue);
  EXPECT_EQ(constant_input(g, n, 2).numel(), 4);
  EXPECT_EQ(n.attrs.get_string("coordinate_transformation_mode", ""), "asymmetric");
  EXPECT_EQ(n.attrs.get_string("nearest_mode", ""), "floor");
}

TEST(OnnxImporter, ResizeEmptyRoiIsAbsent) {
  ModelBuilder m(11);
  m.input("x", {1, 1, 2, 2});
  m.initializer("roi", {0}, {});
  m.initializer("scales", {4}, {1, 1, 2, 2});
  m.node("Resize", {"x", "roi", "scales"}, {"y"});
  m.output("y", {1, 1, 4, 4});
  Graph g = m.import();
  const Node& n = only_node(g);
  EXPECT_EQ(n.inputs[1], kNoValue);
  EXPECT_NE(n.inputs[2], kNoValue);
}

TEST(OnnxImporter, BatchNormSpatialZero_n) {
  ModelBuilder m(7);
  m.input("x", {1, 2, 2, 2});
  for (const char* p : {"s", "b", "mean", "var"}) m.initializer(p, {2}, {1, 1});
  attr_int(m.node("BatchNormalization", {"x", "s", "b", "mean", "var"}, {"y"}, "bn"), "spatial", 0);
  m.output("y", {1, 2, 2, 2});
  EXPECT_EQ(m.error(), "m.onnx: node 'bn' (BatchNormalization): spatial=0 is not supported");
}

TEST(OnnxImporter, IdentityAndDropoutAreAliased) {
  ModelBuilder m(13);
  m.input("x", {4});
  m.node("Identity", {"x"}, {"a"});
  m.node("Relu", {"a"}, {"b"}, "relu");
  m.node("Dropout", {"b"}, {"y"});
  m.output("y", {4});
  Graph g = m.import();
  const Node& relu = only_node(g);
  EXPECT_EQ(relu.inputs[0], g.inputs[0]);
  EXPECT_EQ(g.outputs[0], relu.outputs[0]);
}

TEST(OnnxImporter, DropoutMask_n) {
  ModelBuilder m(13);
  m.input("x", {4});
  m.node("Dropout", {"x"}, {"y", "mask"}, "d");
  m.output("y", {4});
  EXPECT_TRUE(contains(m.error(), "node 'd' (Dropout): the mask output is not supported"));
}

TEST(OnnxImporter, DuplicateOutput_n) {
  ModelBuilder m;
  m.input("x", {4});
  m.node("Relu", {"x"}, {"y"}, "r1");
  m.node("Sigmoid", {"x"}, {"y"}, "r2");
  m.output("y", {4});
  EXPECT_EQ(m.error(), "m.onnx: node 'r2' (Sigmoid): output 'y' is produced twice");
}

TEST(OnnxImporter, UnproducedGraphOutput_n) {
  ModelBuilder m;
  m.input("x", {4});
  m.node("Relu", {"x"}, {"y"});
  m.output("z", {4});
  EXPECT_EQ(m.error(), "m.onnx: graph output 'z' is not produced by any node");
}

TEST(OnnxImporter, Uint8Input_n) {
  ModelBuilder m;
  m.input("x", {4}, TensorProto::UINT8);
  m.node("Relu", {"x"}, {"y"});
  m.output("y", {4}, TensorProto::UINT8);
  EXPECT_EQ(
      m.error(),
      "m.onnx: graph input 'x' has element type UINT8; the engine computes float32 and int64 "
      "(int32 widened) only");
}

TEST(OnnxImporter, Int64InputAndDeclaredIntermediateShape) {
  ModelBuilder m;
  m.input("x", {2, 3});
  m.input("shape", {2}, TensorProto::INT64);
  m.node("Reshape", {"x", "shape"}, {"r"});
  m.node("Relu", {"r"}, {"y"});
  m.value(m.graph().mutable_value_info(), "r", {-1, 2}, TensorProto::FLOAT);
  m.output("y", {3, 2});
  Graph g = m.import();
  EXPECT_EQ(g.values[static_cast<size_t>(g.inputs[1])].dtype, DType::kInt64);
  const Value& r = g.values[static_cast<size_t>(g.nodes[0].outputs[0])];
  EXPECT_TRUE(r.shape_known);
  EXPECT_EQ(r.shape, (Shape{-1, 2}));
}

// Shape errors surface when the graph is checked at load: one line naming file, node and reason.
TEST(OnnxImporter, ConvWeightWrongShapeAtLoad_n) {
  ModelBuilder m;
  m.input("x", {1, 3, 8, 8});
  m.initializer("w", {4, 3, 3}, std::vector<float>(36, 0.5f));
  m.node("Conv", {"x", "w"}, {"y"}, "conv1");
  m.output("y", {1, 4, 6, 6});
  std::string msg;
  try {
    Executor ex(std::make_shared<Graph>(m.import()));
  } catch (const ModelError& e) {
    msg = e.what();
  }
  EXPECT_EQ(msg, "m.onnx: node 'conv1' (Conv): weight has rank 3, expected 4 (input is 1x3x8x8)");
}

}  // namespace
}  // namespace resq
