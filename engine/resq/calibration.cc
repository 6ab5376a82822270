#include "engine/resq/calibration.h"

#include <filesystem>
#include <memory>

#include "engine/executor.h"

namespace resq {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

void mix(uint64_t& h, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * kFnvPrime;
}

// The executor decides which nodes are linear layers; it only borrows `g` here.
Executor borrowed_executor(const Graph& g) {
  return Executor(std::shared_ptr<const Graph>(std::shared_ptr<const Graph>(), &g));
}

}  // namespace

uint64_t model_fingerprint(const Graph& g) {
  const Executor ex = borrowed_executor(g);
  uint64_t h = kFnvOffset;
  for (size_t node : ex.linear_nodes()) {
    const Node& n = g.nodes[node];
    const Tensor& w = *g.values[static_cast<size_t>(n.inputs[1])].constant;
    // Lengths first, so that moving bytes between fields changes the hash.
    const uint64_t sizes[] = {n.name.size(), w.shape().size()};
    mix(h, sizes, sizeof sizes);
    mix(h, n.name.data(), n.name.size());
    mix(h, w.shape().data(), w.shape().size() * sizeof(int64_t));
    if (w.dtype() == DType::kFloat32)
      mix(h, w.f32(), w.bytes());
    else
      mix(h, w.i64(), w.bytes());
  }
  return h;
}

ModelIdentity model_identity(const Graph& g) {
  const Executor ex = borrowed_executor(g);
  ModelIdentity id;
  id.file = std::filesystem::path(g.source).filename().string();
  id.format = g.format;
  id.linear_layers = static_cast<int64_t>(ex.linear_nodes().size());
  for (size_t node : ex.linear_nodes()) id.linear_macs += ex.node_macs(node);
  return id;
}

std::vector<std::string> linear_layer_names(const Graph& g) {
  const Executor ex = borrowed_executor(g);
  std::vector<std::string> names;
  for (size_t node : ex.linear_nodes()) names.push_back(g.nodes[node].name);
  return names;
}

Calibration uncalibrated(const Graph& g) {
  Calibration c;
  c.model_fingerprint = model_fingerprint(g);
  c.model = model_identity(g);
  for (const std::string& name : linear_layer_names(g)) c.layers.push_back({name, {}, {}});
  return c;
}

}  // namespace resq
