// The buffers an Executor keeps its values in during a run. Without change tracking nothing stays
// in them from one run to the next, so the executors of one model on one thread share a set: N
// streams on T threads need T sets instead of N (less memory, and the buffers stay warm in the
// thread's caches from one stream's frame to the next).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/graph.h"
#include "engine/tensor.h"

namespace resq {

class ValueBuffers {
 public:
  ValueBuffers() = default;
  ~ValueBuffers();
  ValueBuffers(const ValueBuffers&) = delete;  // counted in the process total by address
  ValueBuffers& operator=(const ValueBuffers&) = delete;

  std::vector<Tensor> slots;  // per value
  std::vector<Tensor> free;   // released storage, for reuse by later values

  // Bytes held (capacities).
  int64_t bytes() const { return held_bytes(slots, free); }
  // The same for an executor's own slots and released storage.
  static int64_t held_bytes(const std::vector<Tensor>& slots, const std::vector<Tensor>& free);
  // Brings the process total (shared_bytes) up to date after a run changed the buffers.
  void settle();

  // The calling thread's set for `graph`, with `values` slots.
  static ValueBuffers& of_thread(const std::shared_ptr<const Graph>& graph, size_t values);
  // Bytes of the calling thread's sets (every graph), as last settled; frees the sets of graphs
  // that are gone first.
  static int64_t thread_bytes();
  // Bytes of every thread's sets, as last settled (a set of a graph that is gone counts until
  // its thread looks up a set again).
  static int64_t shared_bytes();

 private:
  int64_t counted_ = 0;  // this set's part of shared_bytes()
};

}  // namespace resq
