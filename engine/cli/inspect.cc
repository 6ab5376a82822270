// `resq inspect MODEL`: one row per layer (op, shapes, params, MACs) and totals.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "engine/cli/commands.h"
#include "engine/executor.h"
#include "engine/model.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  bool json = false;
};

std::string value_shape(const Executor& ex, int v) {
  if (v == kNoValue) return "-";
  const auto& m = ex.values()[static_cast<size_t>(v)];
  return m.known ? shape_str(m.meta.shape) : "?";
}

void inspect(const Options& opt) {
  auto graph = load_model(opt.model);
  Executor ex(graph);
  const Graph& g = *graph;

  nlohmann::json layers = nlohmann::json::array();
  std::set<int> counted_constants;
  int64_t total_params = 0, total_macs = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    std::string in_shapes;
    int64_t params = 0;
    for (int v : n.inputs) {
      if (v != kNoValue && g.values[static_cast<size_t>(v)].constant) {
        params += g.values[static_cast<size_t>(v)].constant->numel();
        if (counted_constants.insert(v).second) total_params += g.values[static_cast<size_t>(v)].constant->numel();
        continue;
      }
      in_shapes += (in_shapes.empty() ? "" : ",") + value_shape(ex, v);
    }
    std::string out_shapes;
    for (int v : n.outputs) out_shapes += (out_shapes.empty() ? "" : ",") + value_shape(ex, v);
    int64_t macs = ex.node_macs(i);
    total_macs += macs;
    layers.push_back({{"index", i}, {"name", n.name}, {"op", n.op_type}, {"inputs", in_shapes},
                      {"outputs", out_shapes}, {"params", params}, {"macs", macs},
                      {"fused_after", ex.fused_after(i)}});
  }

  if (opt.json) {
    nlohmann::json io_in = nlohmann::json::array(), io_out = nlohmann::json::array();
    for (int v : g.inputs) io_in.push_back({{"name", g.values[static_cast<size_t>(v)].name}, {"shape", value_shape(ex, v)}});
    for (int v : g.outputs) io_out.push_back({{"name", g.values[static_cast<size_t>(v)].name}, {"shape", value_shape(ex, v)}});
    nlohmann::json doc = {{"model", opt.model}, {"format", g.format}, {"inputs", io_in},
                          {"outputs", io_out}, {"layers", layers},
                          {"totals", {{"layers", g.nodes.size()}, {"params", total_params}, {"macs", total_macs}}}};
    std::cout << doc.dump(2) << "\n";
    return;
  }
  std::printf("%s (%s)\n", opt.model.c_str(), g.format.c_str());
  std::printf("%4s  %-28s %-20s %-24s %-16s %10s %12s\n", "#", "name", "op", "inputs", "outputs",
              "params", "MACs");
  for (const auto& l : layers) {
    std::string name = l["name"].get<std::string>();
    if (name.size() > 28) name = name.substr(0, 25) + "...";
    std::printf("%4d  %-28s %-20s %-24s %-16s %10lld %12lld\n", l["index"].get<int>(), name.c_str(),
                l["op"].get<std::string>().c_str(), l["inputs"].get<std::string>().c_str(),
                l["outputs"].get<std::string>().c_str(), static_cast<long long>(l["params"].get<int64_t>()),
                static_cast<long long>(l["macs"].get<int64_t>()));
  }
  std::printf("total: %zu layers, %lld params, %lld MACs (%.1f M)\n", g.nodes.size(),
              static_cast<long long>(total_params), static_cast<long long>(total_macs), total_macs / 1e6);
}

}  // namespace

void add_inspect(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "List a model's layers: op, shapes, params, MACs, and totals");
  cmd->add_option("model", opt->model, "Model file (.tflite or .onnx)")->required();
  cmd->add_flag("--json", opt->json, "Print JSON instead of a table");
  cmd->callback([opt] { inspect(*opt); });
}

}  // namespace resq::cli
