#include "engine/value_buffers.h"

#include <atomic>
#include <unordered_map>

namespace resq {
namespace {

std::atomic<int64_t> g_shared_bytes{0};

struct GraphBuffers {
  std::weak_ptr<const Graph> graph;
  ValueBuffers buffers;
};

// A thread's sets, by graph; a graph that is gone frees its set at the thread's next lookup.
thread_local std::unordered_map<const Graph*, GraphBuffers> t_sets;

void free_sets_of_gone_graphs() {
  std::erase_if(t_sets, [](const auto& entry) { return entry.second.graph.expired(); });
}

}  // namespace

ValueBuffers::~ValueBuffers() { g_shared_bytes -= counted_; }

int64_t ValueBuffers::held_bytes(const std::vector<Tensor>& slots,
                                 const std::vector<Tensor>& free) {
  size_t b = 0;
  for (const std::vector<Tensor>* tensors : {&slots, &free})
    for (const Tensor& t : *tensors) b += t.capacity();
  return static_cast<int64_t>(b);
}

void ValueBuffers::settle() {
  const int64_t now = bytes();
  g_shared_bytes += now - counted_;
  counted_ = now;
}

ValueBuffers& ValueBuffers::of_thread(const std::shared_ptr<const Graph>& graph, size_t values) {
  free_sets_of_gone_graphs();
  auto [it, added] = t_sets.try_emplace(graph.get());
  if (added) it->second.graph = graph;
  ValueBuffers& set = it->second.buffers;
  if (set.slots.size() != values) set.slots.resize(values);
  return set;
}

int64_t ValueBuffers::thread_bytes() {
  free_sets_of_gone_graphs();
  int64_t b = 0;
  for (const auto& [graph, set] : t_sets) b += set.buffers.counted_;
  return b;
}

int64_t ValueBuffers::shared_bytes() { return g_shared_bytes.load(); }

}  // namespace resq
