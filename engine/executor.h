// Runs a Graph: instantiates one Op per node, checks shapes once at load, then executes the
// nodes in order for each frame, reusing intermediate buffers between runs.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "engine/graph.h"
#include "engine/op.h"

namespace resq {

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

  // Inputs in graph-input order; returns outputs in graph-output order.
  // Throws ModelError when an input has the wrong type or shape, or an op fails.
  std::vector<Tensor> run(std::span<const Tensor> inputs);

 private:
  std::vector<TensorMeta> metas_of(const Node& n, bool with_values) const;
  void check_input(size_t i, const Tensor& t) const;

  std::shared_ptr<const Graph> graph_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::vector<ValueMeta> meta_;
  std::vector<Tensor> slots_;            // runtime storage per value (unused for constants)
  std::vector<const Tensor*> current_;   // where each value lives during a run
};

}  // namespace resq
