#include "engine/graph.h"

#include "engine/error.h"

namespace resq {

const AttrValue* Attributes::find(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

namespace {
[[noreturn]] void wrong_kind(const std::string& name, const char* want) {
  throw OpError("attribute '" + name + "' is not " + want);
}
}  // namespace

int64_t Attributes::get_int(const std::string& name, int64_t def) const {
  const AttrValue* v = find(name);
  if (!v) return def;
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  wrong_kind(name, "an int");
}

int64_t Attributes::get_int(const std::string& name) const {
  if (!has(name)) throw OpError("required attribute '" + name + "' is missing");
  return get_int(name, 0);
}

bool Attributes::get_flag(const std::string& name) const {
  const int64_t v = get_int(name, 0);
  if (v != 0 && v != 1)
    throw OpError("attribute '" + name + "' is " + std::to_string(v) + ", expected 0 or 1");
  return v == 1;
}

float Attributes::get_float(const std::string& name, float def) const {
  const AttrValue* v = find(name);
  if (!v) return def;
  if (auto* f = std::get_if<float>(v)) return *f;
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<float>(*i);
  wrong_kind(name, "a float");
}

std::string Attributes::get_string(const std::string& name, const std::string& def) const {
  const AttrValue* v = find(name);
  if (!v) return def;
  if (auto* s = std::get_if<std::string>(v)) return *s;
  wrong_kind(name, "a string");
}

std::vector<int64_t> Attributes::get_ints(const std::string& name,
                                          const std::vector<int64_t>& def) const {
  const AttrValue* v = find(name);
  if (!v) return def;
  if (auto* i = std::get_if<std::vector<int64_t>>(v)) return *i;
  wrong_kind(name, "a list of ints");
}

std::vector<int64_t> Attributes::get_ints(const std::string& name) const {
  if (!has(name)) throw OpError("required attribute '" + name + "' is missing");
  return get_ints(name, {});
}

std::vector<float> Attributes::get_floats(const std::string& name,
                                          const std::vector<float>& def) const {
  const AttrValue* v = find(name);
  if (!v) return def;
  if (auto* f = std::get_if<std::vector<float>>(v)) return *f;
  wrong_kind(name, "a list of floats");
}

int Graph::find_value(const std::string& name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == name) return static_cast<int>(i);
  return kNoValue;
}

int Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<int>(values.size() - 1);
}

int Graph::add_constant(const std::string& name, Tensor t) {
  Value v;
  v.name = name;
  v.dtype = t.dtype();
  v.shape = t.shape();
  v.shape_known = true;
  v.constant = std::make_shared<const Tensor>(std::move(t));
  return add_value(std::move(v));
}

std::string Graph::where(const Node& n) const {
  return source + ": node '" + n.name + "' (" + n.op_type + ")";
}

}  // namespace resq
