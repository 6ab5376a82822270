#include "engine/executor.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <optional>

#include "engine/change_rules.h"
#include "engine/error.h"
#include "engine/op_registry.h"
#include "engine/value_buffers.h"

namespace resq {
namespace {

bool shape_matches(const Shape& declared, const Shape& actual) {
  if (declared.size() != actual.size()) return false;
  for (size_t i = 0; i < declared.size(); ++i)
    if (declared[i] >= 0 && declared[i] != actual[i]) return false;
  return true;
}

bool fully_known(const Shape& s) {
  for (int64_t d : s)
    if (d < 0) return false;
  return true;
}

}  // namespace

Executor::Executor(std::shared_ptr<const Graph> graph) : graph_(std::move(graph)) {
  const Graph& g = *graph_;
  meta_.resize(g.values.size());
  std::vector<bool> defined(g.values.size(), false);
  for (size_t v = 0; v < g.values.size(); ++v) {
    const Value& val = g.values[v];
    if (val.constant) {
      meta_[v] = {{val.constant->dtype(), val.constant->shape(), val.constant.get()}, true};
      defined[v] = true;
    }
  }
  for (int v : g.inputs) {
    const Value& val = g.values[static_cast<size_t>(v)];
    defined[static_cast<size_t>(v)] = true;
    if (val.shape_known && fully_known(val.shape)) meta_[static_cast<size_t>(v)] = {{val.dtype, val.shape}, true};
  }

  ops_.reserve(g.nodes.size());
  for (const Node& n : g.nodes) {
    OpFactory factory = find_op(n.op_type);
    if (!factory) throw ModelError(g.where(n) + ": unsupported op type '" + n.op_type + "'");
    for (int in : n.inputs) {
      if (in == kNoValue) continue;
      if (in < 0 || static_cast<size_t>(in) >= g.values.size() || !defined[static_cast<size_t>(in)])
        throw ModelError(g.where(n) + ": input '" +
                         (in >= 0 && static_cast<size_t>(in) < g.values.size() ? g.values[static_cast<size_t>(in)].name : "?") +
                         "' is not a graph input, an initializer or an earlier node's output");
    }
    try {
      ops_.push_back(factory(n.attrs));
      bool inputs_known = true;
      for (int in : n.inputs)
        if (in != kNoValue && !meta_[static_cast<size_t>(in)].known) inputs_known = false;
      std::optional<std::vector<TensorMeta>> out;
      if (inputs_known) out = ops_.back()->infer(metas_of(n, false));
      if (out && out->size() < n.outputs.size())
        throw OpError("produces " + std::to_string(out->size()) + " outputs, the node lists " +
                      std::to_string(n.outputs.size()));
      for (size_t o = 0; o < n.outputs.size(); ++o) {
        auto ov = static_cast<size_t>(n.outputs[o]);
        defined[ov] = true;
        if (!out) continue;
        const Value& declared = g.values[ov];
        if (declared.shape_known && !shape_matches(declared.shape, (*out)[o].shape))
          throw OpError("output '" + declared.name + "' computes to shape " + shape_str((*out)[o].shape) +
                        " but the file declares " + shape_str(declared.shape));
        meta_[ov] = {{(*out)[o].dtype, (*out)[o].shape}, true};
      }
    } catch (const OpError& e) {
      throw ModelError(g.where(n) + ": " + e.what());
    }
  }
  for (int v : g.outputs)
    if (!defined[static_cast<size_t>(v)])
      throw ModelError(g.source + ": graph output '" + g.values[static_cast<size_t>(v)].name +
                       "' is not produced by any node");
  slots_.resize(g.values.size());
  current_.resize(g.values.size(), nullptr);
  std::vector<int64_t> last_use(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int v : g.nodes[i].outputs) last_use[static_cast<size_t>(v)] = static_cast<int64_t>(i);
    for (int v : g.nodes[i].inputs)
      if (v != kNoValue) last_use[static_cast<size_t>(v)] = static_cast<int64_t>(i);
  }
  for (int v : g.inputs) last_use[static_cast<size_t>(v)] = -1;   // the caller's tensors
  for (int v : g.outputs) last_use[static_cast<size_t>(v)] = -1;  // returned after the run
  release_after_.resize(g.nodes.size());
  for (size_t v = 0; v < g.values.size(); ++v)
    if (last_use[v] >= 0 && !g.values[v].constant)
      release_after_[static_cast<size_t>(last_use[v])].push_back(v);
  linear_.resize(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    static const char* const kLinearOps[] = {"Conv", "ConvTranspose", "Gemm", "MatMul"};
    bool linear_type = std::find(std::begin(kLinearOps), std::end(kLinearOps), n.op_type) !=
                       std::end(kLinearOps);
    bool constant_weight = n.inputs.size() >= 2 && n.inputs[1] != kNoValue &&
                           g.values[static_cast<size_t>(n.inputs[1])].constant != nullptr;
    if (linear_type && constant_weight) {
      linear_[i] = true;
      linear_nodes_.push_back(i);
    }
  }
  plan_fusion();
}

void Executor::plan_fusion() {
  const Graph& g = *graph_;
  std::vector<int> readers(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (int v : n.inputs)
      if (v != kNoValue) ++readers[static_cast<size_t>(v)];
  for (int v : g.outputs) ++readers[static_cast<size_t>(v)];  // the caller reads it too
  // `v` may vanish into a fused op: read only by the fused nodes, float, shape known.
  auto internal = [&](int v, int fused_readers = 1) {
    return readers[static_cast<size_t>(v)] == fused_readers && meta_[static_cast<size_t>(v)].known &&
           meta_[static_cast<size_t>(v)].meta.dtype == DType::kFloat32;
  };
  auto constant_scalar = [&](const Node& n, size_t input, float absent) -> std::optional<float> {
    if (input >= n.inputs.size() || n.inputs[input] == kNoValue) return absent;
    const auto& c = g.values[static_cast<size_t>(n.inputs[input])].constant;
    if (!c || c->dtype() != DType::kFloat32 || c->numel() != 1) return std::nullopt;
    return c->f32()[0];
  };
  // The other input of `add` when it is an Add of `cur` and another float tensor of cur's shape.
  auto addend_of = [&](const Node& add, int cur) -> std::optional<int> {
    if (add.op_type != "Add" || add.inputs.size() != 2) return std::nullopt;
    const int other = add.inputs[0] == cur ? add.inputs[1] : add.inputs[0];
    const auto& m = meta_[static_cast<size_t>(other == kNoValue ? cur : other)];
    if ((add.inputs[0] == cur) == (add.inputs[1] == cur) || other == kNoValue || !m.known ||
        m.meta.dtype != DType::kFloat32 || m.meta.shape != meta_[static_cast<size_t>(cur)].meta.shape)
      return std::nullopt;
    return other;
  };
  fusion_.assign(g.nodes.size(), Fusion{});
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!linear_[i] || g.nodes[i].outputs.size() != 1) continue;
    Fusion f;
    int cur = g.nodes[i].outputs[0];
    size_t j = i + 1;
    if (j < g.nodes.size() && internal(cur)) {
      if (const std::optional<int> other = addend_of(g.nodes[j], cur)) {
        f.addend = *other;
        f.nodes = 1;
        cur = g.nodes[j].outputs[0];
        ++j;
      }
    }
    if (j < g.nodes.size() && !g.nodes[j].inputs.empty() && g.nodes[j].inputs[0] == cur &&
        internal(cur)) {
      const Node& act = g.nodes[j];
      using A = Epilogue::Activation;
      if (act.op_type == "Relu" && act.inputs.size() == 1) {
        f.epilogue.activation = A::kRelu;
      } else if (act.op_type == "HardSwish" && act.inputs.size() == 1) {
        f.epilogue.activation = A::kHardSwish;
      } else if (act.op_type == "Clip") {
        const auto lo = constant_scalar(act, 1, -std::numeric_limits<float>::infinity());
        const auto hi = constant_scalar(act, 2, std::numeric_limits<float>::infinity());
        if (lo && hi && act.inputs.size() <= 3) {
          f.epilogue.activation = A::kClip;
          f.epilogue.lo = *lo;
          f.epilogue.hi = *hi;
        }
      }
      if (f.epilogue.activation != A::kNone) ++f.nodes;
    }
    // x * HardSigmoid(x): x read by both nodes, the HardSigmoid output by the Mul only.
    if (f.epilogue.activation == Epilogue::Activation::kNone && j + 1 < g.nodes.size() &&
        internal(cur, 2)) {
      const Node &hs = g.nodes[j], &mul = g.nodes[j + 1];
      const bool pattern = hs.op_type == "HardSigmoid" && hs.inputs == std::vector<int>{cur} &&
                           mul.op_type == "Mul" && internal(hs.outputs[0]) &&
                           (mul.inputs == std::vector<int>{cur, hs.outputs[0]} ||
                            mul.inputs == std::vector<int>{hs.outputs[0], cur});
      if (pattern) {
        f.epilogue.activation = Epilogue::Activation::kTimesHardSigmoid;
        f.epilogue.alpha = hs.attrs.get_float("alpha", 0.2f);
        f.epilogue.beta = hs.attrs.get_float("beta", 0.5f);
        f.nodes += 2;
      }
    }
    // Conv -> activation -> Add(that, other): the addend after the activation.
    if (f.addend == kNoValue && f.epilogue.activation != Epilogue::Activation::kNone) {
      const size_t k = i + 1 + static_cast<size_t>(f.nodes);
      cur = g.nodes[k - 1].outputs[0];
      if (k < g.nodes.size() && internal(cur)) {
        if (const std::optional<int> other = addend_of(g.nodes[k], cur)) {
          f.addend = *other;
          f.epilogue.add_after_activation = true;
          ++f.nodes;
        }
      }
    }
    fusion_[i] = f;
  }
  // What a linear node writes, fused or not, may be written in part (write_region).
  persistent_.assign(g.values.size(), false);
  for (size_t i : linear_nodes_)
    for (size_t k : {i, i + static_cast<size_t>(fusion_[i].nodes)})
      for (int v : g.nodes[k].outputs) persistent_[static_cast<size_t>(v)] = true;
  // Linear nodes whose input 0 another one writes through an activation alone, read by nothing
  // else (input_from_linear).
  std::vector<std::optional<size_t>> written_by(g.values.size());
  for (size_t p : linear_nodes_) {
    const Fusion& f = fusion_[p];
    const Node& last = g.nodes[p + static_cast<size_t>(f.nodes)];
    if (last.outputs.size() == 1 && f.addend == kNoValue &&
        f.epilogue.activation != Epilogue::Activation::kTimesHardSigmoid)
      written_by[static_cast<size_t>(last.outputs[0])] = p;
  }
  input_from_.assign(g.nodes.size(), std::nullopt);
  for (size_t i : linear_nodes_) {
    const int v = g.nodes[i].inputs.empty() ? kNoValue : g.nodes[i].inputs[0];
    if (v != kNoValue && readers[static_cast<size_t>(v)] == 1)  // graph outputs count a reader
      input_from_[i] = written_by[static_cast<size_t>(v)];
  }
}

std::vector<TensorMeta> Executor::metas_of(const Node& n, bool with_values) const {
  std::vector<TensorMeta> in;
  in.reserve(n.inputs.size());
  for (int v : n.inputs) {
    if (v == kNoValue) {
      in.push_back({DType::kFloat32, {}, nullptr, false});
    } else if (with_values) {
      const Tensor* t = current_[static_cast<size_t>(v)];
      in.push_back({t->dtype(), t->shape(), t});
    } else {
      in.push_back(meta_[static_cast<size_t>(v)].meta);
    }
  }
  return in;
}

int64_t Executor::node_macs(size_t i) const {
  const Node& n = graph_->nodes[i];
  std::vector<TensorMeta> out;
  for (int v : n.outputs) {
    if (!meta_[static_cast<size_t>(v)].known) return 0;
    out.push_back(meta_[static_cast<size_t>(v)].meta);
  }
  for (int v : n.inputs)
    if (v != kNoValue && !meta_[static_cast<size_t>(v)].known) return 0;
  return ops_[i]->macs(metas_of(n, false), out);
}

void Executor::check_input(size_t i, const Tensor& t) const {
  const Value& v = graph_->values[static_cast<size_t>(graph_->inputs[i])];
  if (t.dtype() != v.dtype)
    throw ModelError(graph_->source + ": input '" + v.name + "' must be " + dtype_name(v.dtype) +
                     ", got " + dtype_name(t.dtype()));
  if (v.shape_known && !shape_matches(v.shape, t.shape()))
    throw ModelError(graph_->source + ": input '" + v.name + "' must have shape " + shape_str(v.shape) +
                     ", got " + shape_str(t.shape()));
}

void Executor::set_node_timing(bool on) {
  node_timing_ = on;
  node_ms_.assign(on ? graph_->nodes.size() : 0, 0.0);
  node_changed_.assign(on ? graph_->nodes.size() : 0, 0.0);
  changed_runs_ = 0;
}

int64_t Executor::buffer_bytes() const { return ValueBuffers::held_bytes(slots_, free_); }

size_t Executor::scratch_bytes() const {
  size_t bytes = 0;
  for (const auto& op : ops_)
    if (op) bytes += op->scratch_bytes();
  for (const std::vector<ChangeMask>* masks : {&changes_, &written_})
    for (const ChangeMask& m : *masks) bytes += m.bytes();
  return bytes;
}

void Executor::reuse_storage(Tensor& slot, int64_t bytes) {
  const auto need = static_cast<size_t>(bytes);
  if (slot.capacity() >= need) return;
  // The smallest released storage that fits; the slot's own (too small) one is released instead.
  auto best = free_.end();
  for (auto it = free_.begin(); it != free_.end(); ++it)
    if (it->capacity() >= need && (best == free_.end() || it->capacity() < best->capacity())) best = it;
  if (best == free_.end()) return;
  std::swap(slot, *best);
  if (best->capacity() == 0) free_.erase(best);
}

void Executor::note_changes(size_t i, const std::vector<Tensor*>& outs,
                            const LinearLayerRunner* linear, const Fusion* fusion) {
  const Graph& g = *graph_;
  const Node& n = g.nodes[i];
  std::vector<const ChangeMask*>& in = in_changes_;
  std::vector<const Shape*>& shapes = in_shapes_;
  in.clear();
  shapes.clear();
  for (int v : n.inputs) {
    const bool varies = v != kNoValue && !g.values[static_cast<size_t>(v)].constant;
    in.push_back(varies ? &changes_[static_cast<size_t>(v)] : nullptr);
    shapes.push_back(varies ? &current_[static_cast<size_t>(v)]->shape() : nullptr);
  }
  if (!linear_[i]) {
    for (size_t o = 0; o < outs.size(); ++o)
      changes_[static_cast<size_t>(n.outputs[o])] = node_changes(n, in, shapes, outs[o]->shape());
    return;
  }
  // A linear layer: its output's pixels, then those of the fused nodes' other input.
  const ChangeMask* own = linear ? linear->output_changes() : nullptr;
  const size_t last = i + (fusion ? static_cast<size_t>(fusion->nodes) : 0);
  changes_[static_cast<size_t>(g.nodes[last].outputs[0])] = with_addend_changes(
      own ? *own : ChangeMask(outs[0]->shape(), in[0] && in[0]->any()), fusion);
}

ChangeMask Executor::with_addend_changes(ChangeMask m, const Fusion* fusion) const {
  // The fused activation keeps the pixels; an added tensor brings its own.
  if (fusion && fusion->addend != kNoValue && !graph_->values[static_cast<size_t>(fusion->addend)].constant)
    m.add(changes_[static_cast<size_t>(fusion->addend)]);
  return m;
}

ChangeMask Executor::write_region(const ChangeMask& layer_changes) const {
  if (tracking_ != Tracking::kChanges || changes_.empty()) {
    ChangeMask all = layer_changes;
    all.set_all();
    return all;
  }
  ChangeMask m = with_addend_changes(layer_changes, runner_fusion_);
  const size_t last = runner_node_ + (runner_fusion_ ? static_cast<size_t>(runner_fusion_->nodes) : 0);
  if (run_on_reference_)
    m.add(written_[static_cast<size_t>(graph_->nodes[last].outputs[0])]);
  else
    m.set_all();  // the buffers hold another run's values
  return m;
}

std::vector<Tensor> Executor::run(std::span<const Tensor> inputs, LinearLayerRunner* linear) {
  const Graph& g = *graph_;
  if (inputs.size() != g.inputs.size())
    throw ModelError(g.source + ": expected " + std::to_string(g.inputs.size()) + " inputs, got " +
                     std::to_string(inputs.size()));
  for (size_t v = 0; v < g.values.size(); ++v)
    current_[v] = g.values[v].constant ? g.values[v].constant.get() : nullptr;
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_input(i, inputs[i]);
    current_[static_cast<size_t>(g.inputs[i])] = &inputs[i];
  }
  const bool tracking = tracking_ == Tracking::kChanges, keep = tracking_ != Tracking::kOff;
  if (tracking) {
    changes_.assign(g.values.size(), ChangeMask());
    for (size_t i = 0; i < inputs.size(); ++i)
      changes_[static_cast<size_t>(g.inputs[i])] = ChangeMask(inputs[i].shape(), true);
  }
  // Without change tracking no value outlives the run: the thread's buffers for this graph are
  // used (ValueBuffers), and given back however the run ends.
  struct Borrowed {
    Executor& e;
    ValueBuffers* set;
    ~Borrowed() {
      if (!set) return;
      std::swap(e.slots_, set->slots);
      std::swap(e.free_, set->free);
      set->settle();
    }
  } borrowed{*this, keep ? nullptr : &ValueBuffers::of_thread(graph_, g.values.size())};
  if (borrowed.set) {
    std::swap(slots_, borrowed.set->slots);
    std::swap(free_, borrowed.set->free);
  }
  // Set again once the run completes: an error leaves buffers half written.
  run_on_reference_ = tracking && buffers_hold_reference_;
  buffers_hold_reference_ = false;

  using Clock = std::chrono::steady_clock;
  std::vector<const Tensor*> in_ptrs;
  std::vector<Tensor*> out_ptrs;
  size_t fused_left = 0;  // nodes still to skip: the op before them ran them as its epilogue
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const Clock::time_point start = node_timing_ ? Clock::now() : Clock::time_point{};
    try {
      if (fused_left > 0) {
        --fused_left;
      } else {
        auto out_meta = ops_[i]->infer(metas_of(n, true));
        if (!out_meta || out_meta->size() < n.outputs.size())
          throw OpError("could not determine output shapes from the inputs");
        const bool by_runner = linear && linear_[i];
        const bool fuse = fusion_[i].nodes > 0 && (!by_runner || linear->fuses_epilogue());
        const Fusion* fusion = fuse ? &fusion_[i] : nullptr;
        in_ptrs.clear();
        for (int v : n.inputs) in_ptrs.push_back(v == kNoValue ? nullptr : current_[static_cast<size_t>(v)]);
        out_ptrs.clear();
        for (size_t o = 0; o < n.outputs.size(); ++o) {
          // A fused op writes the value of the last node fused into it.
          auto ov = static_cast<size_t>(fusion ? g.nodes[i + static_cast<size_t>(fusion->nodes)].outputs[0]
                                               : n.outputs[o]);
          // A kept buffer that a kOff run released comes back from the pool, not new memory.
          reuse_storage(slots_[ov], shape_numel((*out_meta)[o].shape) * dtype_size((*out_meta)[o].dtype));
          slots_[ov].resize((*out_meta)[o].shape, (*out_meta)[o].dtype);
          out_ptrs.push_back(&slots_[ov]);
          current_[ov] = &slots_[ov];
        }
        if (fusion) {
          Epilogue e = fusion->epilogue;
          if (fusion->addend != kNoValue) e.addend = current_[static_cast<size_t>(fusion->addend)]->f32();
          runner_node_ = i;
          runner_fusion_ = fusion;
          if (by_runner)
            linear->run_linear_fused(i, *ops_[i], in_ptrs, out_ptrs, e);
          else
            ops_[i]->run_fused(in_ptrs, out_ptrs, e);
          fused_left = static_cast<size_t>(fusion->nodes);
        } else if (by_runner) {
          runner_node_ = i;
          runner_fusion_ = nullptr;
          linear->run_linear(i, *ops_[i], in_ptrs, out_ptrs);
        } else {
          ops_[i]->run(in_ptrs, out_ptrs);
        }
        if (tracking) {
          note_changes(i, out_ptrs, by_runner ? linear : nullptr, fusion);
          if (node_timing_) {  // the node's (fused) output value's changed share
            const size_t last = i + static_cast<size_t>(fusion ? fusion->nodes : 0);
            const ChangeMask& m = changes_[static_cast<size_t>(g.nodes[last].outputs[0])];
            node_changed_[i] += static_cast<double>(m.count()) / static_cast<double>(m.pixels());
          }
        }
      }
    } catch (const OpError& e) {
      throw ModelError(g.where(n) + ": " + e.what());
    }
    for (size_t v : release_after_[i]) {
      if (!(keep && persistent_[v]) && slots_[v].capacity() > 0) free_.push_back(std::move(slots_[v]));
      current_[v] = nullptr;
    }
    if (node_timing_)
      node_ms_[i] += std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  std::vector<Tensor> outputs;
  outputs.reserve(g.outputs.size());
  for (int v : g.outputs) outputs.push_back(*current_[static_cast<size_t>(v)]);
  if (tracking && node_timing_) ++changed_runs_;
  if (keep) {
    // What differs from the reference now: the next kChanges run restores it where unchanged.
    if (tracking)
      written_ = std::move(changes_);
    else
      written_.assign(g.values.size(), ChangeMask());
    buffers_hold_reference_ = true;
  }
  return outputs;
}

}  // namespace resq
