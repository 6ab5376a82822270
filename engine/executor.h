// Runs a Graph: instantiates one Op per node, checks shapes once at load, then executes the
// nodes in order for each frame, reusing intermediate buffers between runs.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/graph.h"
#include "engine/op.h"
#include "engine/change_mask.h"

namespace resq {

// Runs the linear layers (Conv, ConvTranspose, Gemm, MatMul with a constant weight) in place of
// their own run(): this is where quantization schemes act. `out` is already sized; `op` may be
// run with substituted inputs (quantized activations or weights, an absent bias).
class LinearLayerRunner {
 public:
  virtual ~LinearLayerRunner() = default;
  virtual void run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                          std::span<Tensor* const> out) = 0;
  // A runner that returns true is handed the element-wise nodes fused after a linear node (see
  // Executor::fused_after) and writes their output: by default run_linear, then the epilogue on
  // out[0]; a runner may apply it while the output is in cache instead.
  virtual bool fuses_epilogue() const { return false; }
  virtual void run_linear_fused(size_t node, const Op& op, std::span<const Tensor* const> in,
                                std::span<Tensor* const> out, const Epilogue& epilogue) {
    run_linear(node, op, in, out);
    epilogue.apply(out[0]->f32(), 0, out[0]->numel());
  }
  // Change tracking (Executor::set_tracking): after run_linear / run_linear_fused, the pixels of
  // the layer's output (before fused nodes) that may differ from the keyframe's; nullptr: all of
  // them once its input changed.
  virtual const ChangeMask* output_changes() const { return nullptr; }
};

class Executor {
 public:
  // Throws ModelError naming the file, node and reason for unknown ops, bad attributes,
  // undefined inputs and shape mismatches.
  explicit Executor(std::shared_ptr<const Graph> graph);

  const Graph& graph() const { return *graph_; }
  // Type/shape of every value as known after the load-time check (shape empty and
  // known == false where it depends on runtime contents).
  struct ValueMeta {
    TensorMeta meta;
    bool known = false;
  };
  const std::vector<ValueMeta>& values() const { return meta_; }
  // MACs of node i for the load-time shapes (0 when unknown or non-linear).
  int64_t node_macs(size_t i) const;

  // Indices of the nodes a LinearLayerRunner sees, in execution order.
  const std::vector<size_t>& linear_nodes() const { return linear_nodes_; }
  bool is_linear(size_t node) const { return linear_[node]; }

  // How many element-wise nodes right after linear `node` run inside it (Add of a same-shape
  // tensor, then Relu / Clip / HardSwish / x * HardSigmoid(x)) when no LinearLayerRunner takes it
  // or the runner fuses epilogues; they report no time of their own in node_ms().
  int fused_after(size_t node) const { return fusion_[node].nodes; }
  // When linear node `node`'s input 0 is what another linear node writes, directly or through a
  // fused Relu, Clip or HardSwish (no Add), and nothing else reads it: that node. The input is
  // then fused_epilogue(other)'s activation of the other node's output before its epilogue,
  // element by element, bit for bit, whenever the epilogues run fused. nullopt otherwise.
  std::optional<size_t> input_from_linear(size_t node) const { return input_from_[node]; }
  // The element-wise nodes fused after linear node `node`, as an epilogue (its addend unset).
  const Epilogue& fused_epilogue(size_t node) const { return fusion_[node].epilogue; }

  // Inputs in graph-input order; returns outputs in graph-output order. With `linear`, linear
  // layers are computed by it. Throws ModelError when an input has the wrong type or shape, or
  // an op fails.
  std::vector<Tensor> run(std::span<const Tensor> inputs, LinearLayerRunner* linear = nullptr);

  // Change tracking, for the frames between keyframes. kReference runs (keyframes) keep each
  // linear node's output in a buffer of its own. A kChanges run after one also keeps which
  // pixels of each value may differ from the reference's (changes()): graph inputs everywhere,
  // constants nowhere, nodes as node_changes() (change_rules.h) says, linear ones as the
  // runner's output_changes(). The kept buffers hold the reference's values outside a linear
  // node's write region (write_region()), so its runner may write only that region; other nodes
  // write all of their output. kOff (the default) shares storage between values.
  enum class Tracking { kOff, kReference, kChanges };
  void set_tracking(Tracking t) { tracking_ = t; }
  // During a kChanges run, the pixels of `value` (nullptr in other modes). A LinearLayerRunner
  // reads its input's during run_linear.
  const ChangeMask* changes(int value) const {
    const auto v = static_cast<size_t>(value);
    return tracking_ == Tracking::kChanges && v < changes_.size() ? &changes_[v] : nullptr;
  }
  // For the linear node a runner is running in a kChanges run, whose own output may differ at
  // `layer_changes`: the pixels of its (fused) output value to write, the others holding the
  // reference's values already. Adds the fused addend's changes and what the last run wrote.
  // Outside a kChanges run: every pixel.
  ChangeMask write_region(const ChangeMask& layer_changes) const;

  // Bytes of the buffers the executor holds for values (in use or released for reuse) between
  // runs: those of change tracking. Runs without it use the thread's (ValueBuffers).
  int64_t buffer_bytes() const;
  // Bytes of the ops' work buffers and of the change masks (change tracking).
  size_t scratch_bytes() const;

  // Per-node wall-clock profile for `resq bench`: while on, run() adds each node's time (shape
  // check, buffers, compute) to node_ms()[node]. Turning it on clears the totals; off (the
  // default), run() reads no clock.
  void set_node_timing(bool on);
  const std::vector<double>& node_ms() const { return node_ms_; }
  // Also while it is on: per node, the share of its output's pixels (of the last node fused into
  // it) that may differ from the reference's, summed over the kChanges runs (changed_runs()).
  // What a residual frame would have to compute if each node computed only those pixels.
  const std::vector<double>& node_changed() const { return node_changed_; }
  int64_t changed_runs() const { return changed_runs_; }

 private:
  std::vector<TensorMeta> metas_of(const Node& n, bool with_values) const;
  void check_input(size_t i, const Tensor& t) const;
  // Gives `slot` released storage of at least `bytes` when its own is smaller.
  void reuse_storage(Tensor& slot, int64_t bytes);

  std::shared_ptr<const Graph> graph_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<ValueMeta> meta_;
  std::vector<Tensor> slots_;            // runtime storage per value (unused for constants)
  std::vector<const Tensor*> current_;   // where each value lives during a run
  // Values whose last reader is node i: their storage goes to free_ once it ran, for a later
  // node's output, so outputs are written into memory that is still in cache.
  std::vector<std::vector<size_t>> release_after_;
  std::vector<Tensor> free_;
  // Element-wise nodes that run inside the linear node before them (Op::run_fused) when no
  // LinearLayerRunner takes that node or the runner fuses epilogues: the op (runner) writes the
  // last fused node's output directly.
  struct Fusion {
    int nodes = 0;           // how many nodes right after this one are fused into it
    int addend = kNoValue;   // a fused Add's other input
    Epilogue epilogue;       // the activation part; the addend pointer is set per run
  };
  void plan_fusion();
  std::vector<Fusion> fusion_;            // per node
  std::vector<std::optional<size_t>> input_from_;  // per node: input_from_linear
  std::vector<bool> linear_;              // per node
  std::vector<size_t> linear_nodes_;
  // The output pixels of node i that may change (kChanges), from its inputs'.
  void note_changes(size_t i, const std::vector<Tensor*>& outs, const LinearLayerRunner* linear,
                    const Fusion* fusion);
  // A linear node's output changes `m` with its fused addend's.
  ChangeMask with_addend_changes(ChangeMask m, const Fusion* fusion) const;
  Tracking tracking_ = Tracking::kOff;
  std::vector<ChangeMask> changes_;  // per value, in kChanges runs
  std::vector<const ChangeMask*> in_changes_;  // note_changes scratch: a node's inputs'
  std::vector<const Shape*> in_shapes_;
  // Per value, what the last kChanges run left different from the reference; valid while
  // buffers_hold_reference_ (a kReference run, then kChanges runs that completed).
  std::vector<ChangeMask> written_;
  // Per value: kept in its own buffer outside kOff runs (the outputs of linear nodes; other nodes
  // write all of theirs).
  std::vector<bool> persistent_;
  bool buffers_hold_reference_ = false;
  bool run_on_reference_ = false;       // this kChanges run found them so
  size_t runner_node_ = 0;              // the linear node a runner is running
  const Fusion* runner_fusion_ = nullptr;
  bool node_timing_ = false;
  std::vector<double> node_ms_;           // per node, while node_timing_
  std::vector<double> node_changed_;      // per node, while node_timing_
  int64_t changed_runs_ = 0;
};

}  // namespace resq
