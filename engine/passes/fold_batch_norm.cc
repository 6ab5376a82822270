#include "engine/passes/fold_batch_norm.h"

#include <cmath>
#include <vector>

#include "engine/error.h"

namespace resq {
namespace {

// The constant float32 tensor behind value v, or nullptr.
const Tensor* constant_f32(const Graph& g, int v) {
  if (v < 0 || static_cast<size_t>(v) >= g.values.size()) return nullptr;
  const Tensor* t = g.values[static_cast<size_t>(v)].constant.get();
  return t && t->dtype() == DType::kFloat32 ? t : nullptr;
}

std::string unique_name(const Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.find_value(name) != kNoValue; ++i) name = base + "_" + std::to_string(i);
  return name;
}

// Folds bn into conv when every condition holds; returns whether it did.
bool fold(Graph& g, Node& conv, const Node& bn) {
  if (bn.inputs.size() != 5 || bn.outputs.size() != 1 || conv.outputs.size() != 1) return false;
  float eps;
  try {
    if (bn.attrs.get_int("training_mode", 0) != 0) return false;
    eps = bn.attrs.get_float("epsilon", 1e-5f);
  } catch (const OpError&) {
    return false;  // left for the op to report
  }
  const Tensor* params[4];
  for (size_t i = 0; i < 4; ++i)
    if (!(params[i] = constant_f32(g, bn.inputs[i + 1]))) return false;
  if (conv.inputs.size() < 2) return false;
  const Tensor* w = constant_f32(g, conv.inputs[1]);
  if (!w || w->rank() < 3) return false;
  const int64_t m = w->dim(0);
  for (const Tensor* p : params)
    if (p->shape() != Shape{m}) return false;
  const bool has_bias = conv.inputs.size() > 2 && conv.inputs[2] != kNoValue;
  const Tensor* b = has_bias ? constant_f32(g, conv.inputs[2]) : nullptr;
  if (has_bias && (!b || b->shape() != Shape{m})) return false;

  Tensor new_w = *w;
  Tensor new_b({m});
  const int64_t per_channel = w->numel() / m;
  for (int64_t c = 0; c < m; ++c) {
    const double s =
        params[0]->f32()[c] / std::sqrt(static_cast<double>(params[3]->f32()[c]) + eps);
    float* wc = new_w.f32() + c * per_channel;
    for (int64_t i = 0; i < per_channel; ++i) wc[i] = static_cast<float>(wc[i] * s);
    const double bias = b ? b->f32()[c] : 0.0;
    new_b.f32()[c] = static_cast<float>((bias - params[2]->f32()[c]) * s + params[1]->f32()[c]);
  }
  const std::string base = g.values[static_cast<size_t>(bn.outputs[0])].name;
  const int wv = g.add_constant(unique_name(g, base + "_folded_W"), std::move(new_w));
  const int bv = g.add_constant(unique_name(g, base + "_folded_B"), std::move(new_b));
  conv.inputs.resize(3);
  conv.inputs[1] = wv;
  conv.inputs[2] = bv;
  conv.outputs[0] = bn.outputs[0];
  return true;
}

}  // namespace

int fold_batch_norm(Graph& g) {
  // How many times each value is read (node inputs and graph outputs).
  std::vector<int> uses(g.values.size(), 0);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int v : g.nodes[i].inputs)
      if (v >= 0 && static_cast<size_t>(v) < uses.size()) ++uses[static_cast<size_t>(v)];
    for (int v : g.nodes[i].outputs)
      if (v >= 0 && static_cast<size_t>(v) < uses.size())
        producer[static_cast<size_t>(v)] = static_cast<int>(i);
  }
  for (int v : g.outputs)
    if (v >= 0 && static_cast<size_t>(v) < uses.size()) ++uses[static_cast<size_t>(v)];

  std::vector<bool> remove(g.nodes.size(), false);
  int folded = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& bn = g.nodes[i];
    if (bn.op_type != "BatchNormalization" || bn.inputs.empty()) continue;
    const int x = bn.inputs[0];
    if (x < 0 || static_cast<size_t>(x) >= g.values.size() || uses[static_cast<size_t>(x)] != 1)
      continue;
    const int p = producer[static_cast<size_t>(x)];
    if (p < 0 || g.nodes[static_cast<size_t>(p)].op_type != "Conv") continue;
    if (fold(g, g.nodes[static_cast<size_t>(p)], bn)) {
      remove[i] = true;
      ++folded;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (remove[i]) continue;
    if (kept != i) g.nodes[kept] = std::move(g.nodes[i]);
    ++kept;
  }
  g.nodes.resize(kept);
  return folded;
}

}  // namespace resq
