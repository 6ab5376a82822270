#include "engine/import/onnx_importer.h"

#include <climits>
#include <functional>
#include <initializer_list>
#include <map>
#include <queue>
#include <unordered_map>
#include <vector>

#include "engine/error.h"
#include "engine/import/tensor_proto.h"
#include "engine/op_registry.h"
#include "onnx/onnx_pb.h"

namespace resq {
namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::TensorProto;
using onnx::ValueInfoProto;

constexpr int64_t kMinOnnxOpset = 7;

// Models older than opset 7 are accepted node by node: an op whose opset-7 form was already in
// force at the model's opset is read as that form. Op types not listed got their opset-7 form
// at opset 7 (or later), so older models using them are rejected.
int64_t opset_of_v7_form(const std::string& op_type) {
  static const std::map<std::string, int64_t> since = {
      {"Concat", 4},        {"Constant", 1}, {"Conv", 1},
      {"ConvTranspose", 1}, {"Flatten", 1},  {"GlobalAveragePool", 1},
      {"HardSigmoid", 6},   {"Identity", 1}, {"LeakyRelu", 6},
      {"MatMul", 1},        {"MaxPool", 1},  {"Pad", 2},
      {"Relu", 6},          {"Reshape", 5},  {"Sigmoid", 6},
      {"Softmax", 1},       {"Clip", 6},     {"Transpose", 1},
  };
  auto it = since.find(op_type);
  return it == since.end() ? kMinOnnxOpset : it->second;
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string elem_type_name(int32_t t) {
  const std::string& name = TensorProto::DataType_Name(static_cast<TensorProto::DataType>(t));
  return name.empty() ? "type " + std::to_string(t) : name;
}

// int32 tensors are held as int64 (lossless; tensor_proto widens their data the same way).
bool engine_dtype(int32_t elem_type, DType* out) {
  if (elem_type == TensorProto::FLOAT)
    *out = DType::kFloat32;
  else if (elem_type == TensorProto::INT64 || elem_type == TensorProto::INT32)
    *out = DType::kInt64;
  else
    return false;
  return true;
}

// Copy of `attrs` without the named attributes (those an old opset had and the IR takes as inputs).
Attributes without(const Attributes& attrs, std::initializer_list<const char*> names) {
  Attributes out;
  for (const auto& [name, value] : attrs.all()) {
    bool drop = false;
    for (const char* n : names) drop = drop || name == n;
    if (!drop) out.set(name, value);
  }
  return out;
}

class Importer {
 public:
  Importer(const std::string& path, const onnx::ModelProto& model) : path_(path), model_(model) {
    g_.source = path;
    g_.format = "onnx";
  }

  Graph run() {
    if (!model_.has_graph()) fail("model has no graph");
    read_opset();
    const onnx::GraphProto& graph = model_.graph();
    for (const ValueInfoProto& v : graph.value_info()) declared_[v.name()] = &v;
    for (const ValueInfoProto& v : graph.output()) declared_[v.name()] = &v;
    add_initializers();
    add_inputs();
    for (int i : sorted_nodes()) import_node(graph.node(i));
    add_outputs();
    return std::move(g_);
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw ModelError(path_ + ": " + reason);
  }

  static std::string node_name(const NodeProto& p) {
    if (!p.name().empty() || p.output_size() == 0) return p.name();
    return p.output(0);
  }

  [[noreturn]] void fail(const NodeProto& p, const std::string& reason) const {
    fail("node '" + node_name(p) + "' (" + p.op_type() + "): " + reason);
  }

  void read_opset() {
    bool found = false;
    for (const onnx::OperatorSetIdProto& o : model_.opset_import()) {
      if (!is_default_domain(o.domain())) continue;  // only an error when a node uses it
      found = true;
      opset_ = o.version();
    }
    if (!found) fail("model imports no default-domain (ai.onnx) opset");
    if (opset_ > kMaxOnnxOpset || opset_ < 1)
      fail("opset " + std::to_string(opset_) + " is not supported (opsets " +
           std::to_string(kMinOnnxOpset) + "-" + std::to_string(kMaxOnnxOpset) + ")");
  }

  void define(const std::string& name, int value) {
    if (!ids_.emplace(name, value).second) fail("value '" + name + "' is defined twice");
  }

  void add_initializers() {
    for (const TensorProto& t : model_.graph().initializer()) {
      if (t.name().empty()) fail("an initializer has no name");
      Tensor tensor = tensor_from_proto(t, path_ + ": initializer '" + t.name() + "'");
      define(t.name(), g_.add_constant(t.name(), std::move(tensor)));
    }
  }

  // Shape (symbolic dims -> -1) and, for float32/int64, type from a declaration.
  void apply_declared(const ValueInfoProto& info, Value& v) const {
    if (!info.type().has_tensor_type()) return;
    const auto& tt = info.type().tensor_type();
    engine_dtype(tt.elem_type(), &v.dtype);
    if (!tt.has_shape()) return;
    v.shape.clear();
    for (const auto& d : tt.shape().dim())
      v.shape.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
    v.shape_known = true;
  }

  // Graph inputs and outputs must be tensors of a type the engine computes.
  void check_boundary_type(const ValueInfoProto& info, const char* kind) const {
    if (!info.type().has_tensor_type())
      fail(std::string(kind) + " '" + info.name() + "' is not a tensor");
    DType unused;
    if (!engine_dtype(info.type().tensor_type().elem_type(), &unused))
      fail(std::string(kind) + " '" + info.name() + "' has element type " +
           elem_type_name(info.type().tensor_type().elem_type()) +
           "; the engine computes float32 and int64 (int32 widened) only");
  }

  void add_inputs() {
    for (const ValueInfoProto& info : model_.graph().input()) {
      if (ids_.count(info.name())) continue;  // an initializer, listed as input by old exporters
      check_boundary_type(info, "graph input");
      Value v;
      v.name = info.name();
      apply_declared(info, v);
      const int id = g_.add_value(std::move(v));
      define(info.name(), id);
      g_.inputs.push_back(id);
    }
  }

  void add_outputs() {
    for (const ValueInfoProto& info : model_.graph().output()) {
      check_boundary_type(info, "graph output");
      auto it = ids_.find(info.name());
      if (it == ids_.end()) fail("graph output '" + info.name() + "' is not produced by any node");
      g_.outputs.push_back(it->second);
    }
  }

  // Node indices in a topological order (file order where the dependencies allow).
  std::vector<int> sorted_nodes() const {
    const auto& nodes = model_.graph().node();
    const int n = nodes.size();
    std::unordered_map<std::string, int> producer;
    for (int i = 0; i < n; ++i)
      for (const std::string& out : nodes[i].output()) {
        if (out.empty()) continue;
        if (ids_.count(out))
          fail(nodes[i], "output '" + out + "' is also a graph input or initializer");
        if (!producer.emplace(out, i).second)
          fail(nodes[i], "output '" + out + "' is produced twice");
      }

    std::vector<std::vector<int>> consumers(static_cast<size_t>(n));
    std::vector<int> pending(static_cast<size_t>(n), 0);
    for (int i = 0; i < n; ++i)
      for (const std::string& in : nodes[i].input()) {
        if (in.empty() || ids_.count(in)) continue;
        auto it = producer.find(in);
        if (it == producer.end())
          fail(nodes[i], "input '" + in +
                             "' is not a graph input, an initializer or any node's output "
                             "(missing initializer?)");
        consumers[static_cast<size_t>(it->second)].push_back(i);
        ++pending[static_cast<size_t>(i)];
      }

    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < n; ++i)
      if (pending[static_cast<size_t>(i)] == 0) ready.push(i);
    std::vector<int> order;
    order.reserve(static_cast<size_t>(n));
    while (!ready.empty()) {
      const int i = ready.top();
      ready.pop();
      order.push_back(i);
      for (int c : consumers[static_cast<size_t>(i)])
        if (--pending[static_cast<size_t>(c)] == 0) ready.push(c);
    }
    if (static_cast<int>(order.size()) != n)
      for (int i = 0; i < n; ++i)
        if (pending[static_cast<size_t>(i)] > 0) fail(nodes[i], "is part of a cycle in the graph");
    return order;
  }

  Attributes convert_attributes(const NodeProto& p) const {
    Attributes attrs;
    for (const AttributeProto& a : p.attribute()) {
      switch (a.type()) {
        case AttributeProto::INT: attrs.set(a.name(), static_cast<int64_t>(a.i())); break;
        case AttributeProto::FLOAT: attrs.set(a.name(), a.f()); break;
        case AttributeProto::STRING: attrs.set(a.name(), a.s()); break;
        case AttributeProto::INTS:
          attrs.set(a.name(), std::vector<int64_t>(a.ints().begin(), a.ints().end()));
          break;
        case AttributeProto::FLOATS:
          attrs.set(a.name(), std::vector<float>(a.floats().begin(), a.floats().end()));
          break;
        default:
          fail(p, "attribute '" + a.name() + "' has type " +
                      AttributeProto::AttributeType_Name(a.type()) + ", which is not supported");
      }
    }
    return attrs;
  }

  void import_node(const NodeProto& p) {
    if (!is_default_domain(p.domain()))
      fail(p, "domain '" + p.domain() + "' is not supported (only the default ONNX domain)");
    if (opset_ < opset_of_v7_form(p.op_type()))
      fail(p, "the opset " + std::to_string(opset_) + " form of " + p.op_type() +
                  " is not supported (opsets " + std::to_string(kMinOnnxOpset) + "-" +
                  std::to_string(kMaxOnnxOpset) + ")");
    if (p.op_type() == "Constant") return import_constant(p);
    if (p.op_type() == "Identity" || p.op_type() == "Dropout") return alias(p);
    if (!find_op(p.op_type())) fail(p, "unsupported op type '" + p.op_type() + "'");

    Node n;
    n.name = node_name(p);
    n.op_type = p.op_type();
    n.attrs = convert_attributes(p);
    for (const std::string& in : p.input()) n.inputs.push_back(in.empty() ? kNoValue : ids_.at(in));
    try {
      translate(n);
    } catch (const OpError& e) {
      fail(p, e.what());
    }

    int outputs = p.output_size();
    while (outputs > 0 && p.output(outputs - 1).empty()) --outputs;  // absent optional outputs
    for (int o = 0; o < outputs; ++o) {
      const std::string& name = p.output(o);
      Value v;
      // An absent output before a present one still needs a slot; its name cannot clash.
      v.name = name.empty() ? n.name + ":unused_output_" + std::to_string(o) : name;
      if (auto it = declared_.find(name); it != declared_.end()) apply_declared(*it->second, v);
      const int id = g_.add_value(std::move(v));
      if (!name.empty()) define(name, id);
      n.outputs.push_back(id);
    }
    g_.nodes.push_back(std::move(n));
  }

  void import_constant(const NodeProto& p) {
    if (p.output_size() != 1 || p.output(0).empty()) fail(p, "must have exactly one output");
    if (p.attribute_size() != 1) fail(p, "must have exactly one value attribute");
    const AttributeProto& a = p.attribute(0);
    auto expect = [&](AttributeProto::AttributeType type) {
      if (a.type() != type)
        fail(p, "attribute '" + a.name() + "' has type " +
                    AttributeProto::AttributeType_Name(a.type()) + ", expected " +
                    AttributeProto::AttributeType_Name(type));
    };
    Tensor t;
    if (a.name() == "value") {
      expect(AttributeProto::TENSOR);
      t = tensor_from_proto(a.t(),
                            path_ + ": node '" + node_name(p) + "' (Constant): attribute 'value'");
    } else if (a.name() == "value_float") {
      expect(AttributeProto::FLOAT);
      const float v = a.f();
      t = Tensor::from_floats({}, {&v, 1});
    } else if (a.name() == "value_floats") {
      expect(AttributeProto::FLOATS);
      const std::vector<float> v(a.floats().begin(), a.floats().end());
      t = Tensor::from_floats({static_cast<int64_t>(v.size())}, v);
    } else if (a.name() == "value_int") {
      expect(AttributeProto::INT);
      const int64_t v = a.i();
      t = Tensor::from_ints({}, {&v, 1});
    } else if (a.name() == "value_ints") {
      expect(AttributeProto::INTS);
      const std::vector<int64_t> v(a.ints().begin(), a.ints().end());
      t = Tensor::from_ints({static_cast<int64_t>(v.size())}, v);
    } else {
      fail(p,
           "attribute '" + a.name() + "' is not supported (value, value_float(s), value_int(s))");
    }
    define(p.output(0), g_.add_constant(p.output(0), std::move(t)));
  }

  // Identity and inference-mode Dropout pass their input through: the output name becomes
  // another name of the input value.
  void alias(const NodeProto& p) {
    if (p.input_size() < 1 || p.input(0).empty()) fail(p, "has no input");
    if (p.output_size() < 1 || p.output(0).empty()) fail(p, "has no output");
    if (p.op_type() == "Dropout") {
      if (p.output_size() > 1 && !p.output(1).empty())
        fail(p, "the mask output is not supported (inference only)");
      if (p.input_size() > 2 && !p.input(2).empty()) {
        const Value& mode = g_.values[static_cast<size_t>(ids_.at(p.input(2)))];
        if (!mode.constant || mode.constant->numel() != 1 || mode.constant->at_as_double(0) != 0)
          fail(p, "training_mode must be a constant false (inference only)");
      }
    } else if (p.output_size() != 1) {
      fail(p, "must have exactly one output");
    }
    define(p.output(0), ids_.at(p.input(0)));
  }

  int add_node_constant(const Node& n, const std::string& what, Tensor t) {
    return g_.add_constant(n.name + ":" + what, std::move(t));
  }

  bool is_empty_constant(int value) const {
    if (value == kNoValue) return false;
    const Value& v = g_.values[static_cast<size_t>(value)];
    return v.constant && v.constant->numel() == 0;
  }

  // Rewrites an op of the model's opset into the IR's (latest ONNX) form. Attribute getters
  // throw OpError for attributes of the wrong type.
  void translate(Node& n) {
    const std::string& op = n.op_type;
    if (op == "Softmax" && opset_ < 13) {
      // Before opset 13 Softmax flattened the input to 2-D at `axis` (default 1).
      n.attrs.set("axis", n.attrs.get_int("axis", 1));
      n.attrs.set("coerce_2d", int64_t{1});
    } else if (op == "Clip" && opset_ < 11) {
      const bool has_min = n.attrs.has("min"), has_max = n.attrs.has("max");
      const float lo = n.attrs.get_float("min", 0), hi = n.attrs.get_float("max", 0);
      n.attrs = without(n.attrs, {"min", "max"});
      n.inputs.resize(1);
      if (has_min || has_max)
        n.inputs.push_back(has_min ? add_node_constant(n, "min", Tensor::from_floats({}, {&lo, 1}))
                                   : kNoValue);
      if (has_max)
        n.inputs.push_back(add_node_constant(n, "max", Tensor::from_floats({}, {&hi, 1})));
    } else if (op == "Pad" && opset_ < 11) {
      const std::vector<int64_t> pads = n.attrs.get_ints("pads");
      const float value = n.attrs.get_float("value", 0);
      n.attrs = without(n.attrs, {"pads", "value"});
      n.inputs.resize(1);
      n.inputs.push_back(add_node_constant(
          n, "pads", Tensor::from_ints({static_cast<int64_t>(pads.size())}, pads)));
      n.inputs.push_back(add_node_constant(n, "value", Tensor::from_floats({}, {&value, 1})));
    } else if (op == "Upsample" && opset_ < 9) {
      const std::vector<float> scales = n.attrs.get_floats("scales", {});
      if (scales.empty()) throw OpError("required attribute 'scales' is missing");
      n.attrs = without(n.attrs, {"scales"});
      n.inputs.resize(1);
      n.inputs.push_back(add_node_constant(
          n, "scales", Tensor::from_floats({static_cast<int64_t>(scales.size())}, scales)));
    } else if (op == "Resize" && opset_ < 11) {
      // Resize-10 takes (X, scales) and samples like Upsample: asymmetric, nearest rounds down.
      if (n.inputs.size() != 2) throw OpError("expects 2 inputs (X, scales) at opset 10");
      n.inputs = {n.inputs[0], kNoValue, n.inputs[1]};
      n.attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
      if (n.attrs.get_string("mode", "nearest") == "nearest")
        n.attrs.set("nearest_mode", std::string("floor"));
    } else if (op == "Resize") {
      // Opsets 11-12 require roi and scales even when unused; empty tensors mean absent.
      for (size_t i = 1; i < n.inputs.size(); ++i)
        if (is_empty_constant(n.inputs[i])) n.inputs[i] = kNoValue;
    } else if (op == "BatchNormalization" && opset_ < 9) {
      if (n.attrs.get_int("spatial", 1) != 1) throw OpError("spatial=0 is not supported");
      n.attrs = without(n.attrs, {"spatial"});
    }
  }

  const std::string& path_;
  const onnx::ModelProto& model_;
  int64_t opset_ = 0;
  Graph g_;
  std::unordered_map<std::string, int> ids_;  // value name (or alias) -> index in g_.values
  std::unordered_map<std::string, const ValueInfoProto*> declared_;
};

}  // namespace

Graph import_onnx(const std::string& path, std::span<const uint8_t> bytes) {
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw ModelError(path + ": not a valid ONNX model (protobuf parse failed)");
  return Importer(path, model).run();
}

}  // namespace resq
