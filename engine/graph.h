// Format-independent graph IR. Op types and attributes follow ONNX semantics
// (the TFLite importer translates to them); image tensors are NCHW.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/tensor.h"

namespace resq {

using AttrValue =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>>;

// Node attributes. Getters throw OpError naming the attribute when it has the wrong kind
// or a required one is missing.
class Attributes {
 public:
  void set(const std::string& name, AttrValue v) { values_[name] = std::move(v); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  int64_t get_int(const std::string& name, int64_t def) const;
  int64_t get_int(const std::string& name) const;
  // A 0/1 attribute (absent = false); other values throw.
  bool get_flag(const std::string& name) const;
  float get_float(const std::string& name, float def) const;
  std::string get_string(const std::string& name, const std::string& def) const;
  std::vector<int64_t> get_ints(const std::string& name, const std::vector<int64_t>& def) const;
  std::vector<int64_t> get_ints(const std::string& name) const;
  std::vector<float> get_floats(const std::string& name, const std::vector<float>& def) const;

  const std::map<std::string, AttrValue>& all() const { return values_; }

 private:
  const AttrValue* find(const std::string& name) const;
  std::map<std::string, AttrValue> values_;
};

// A tensor flowing in the graph. `shape` may hold -1 for dims unknown at import time.
struct Value {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  bool shape_known = false;
  std::shared_ptr<const Tensor> constant;  // set for weights and other initializers
};

inline constexpr int kNoValue = -1;  // an absent optional input

struct Node {
  std::string name;
  std::string op_type;
  std::vector<int> inputs;  // indices into Graph::values, kNoValue when absent
  std::vector<int> outputs;
  Attributes attrs;
};

struct Graph {
  std::string source;  // file the graph came from, for error messages
  std::string format;  // "tflite" or "onnx"
  std::vector<Value> values;
  std::vector<Node> nodes;  // topologically sorted
  std::vector<int> inputs;
  std::vector<int> outputs;

  int find_value(const std::string& name) const;  // kNoValue when missing
  int add_value(Value v);
  int add_constant(const std::string& name, Tensor t);
  // "file: node 'name' (Op)" prefix for messages about a node.
  std::string where(const Node& n) const;
};

}  // namespace resq
