// FP32 kernels at the default model's own layer shapes: each distinct linear layer (Conv,
// ConvTranspose, Gemm, MatMul with its weights, attributes and input shape) run alone, and the
// fake quantizer the simulated schemes apply to every linear-layer input. The baseline the
// integer and sparse kernels of issue #7 are measured against.
// Run: build/release/tests/bench/resq_bench --benchmark_filter=Layer
#include <benchmark/benchmark.h>

#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "engine/executor.h"
#include "engine/model.h"
#include "engine/op_registry.h"
#include "engine/quant/uniform_quantizer.h"
#include "engine/ops/window.h"
#include "engine/resq/pixel_bit_policy.h"
#include "engine/resq/receptive_field.h"
#include "engine/resq/scatter_sums.h"

namespace resq {
namespace {

// One node run on its own: inputs of the load-time shapes (a smooth ramp, constants as in the
// model), outputs sized once.
struct NodeRun {
  std::unique_ptr<Op> op;
  std::vector<Tensor> owned;  // non-constant inputs, then outputs
  std::vector<const Tensor*> in;
  std::vector<Tensor*> out;
};

NodeRun make_node_run(const Executor& ex, size_t node) {
  const Graph& g = ex.graph();
  const Node& n = g.nodes[node];
  NodeRun r;
  r.op = find_op(n.op_type)(n.attrs);
  r.owned.reserve(n.inputs.size() + n.outputs.size());  // pointers into it stay valid
  for (int v : n.inputs) {
    if (v == kNoValue) {
      r.in.push_back(nullptr);
    } else if (const auto& c = g.values[static_cast<size_t>(v)].constant) {
      r.in.push_back(c.get());
    } else {
      Tensor& t = r.owned.emplace_back(ex.values()[static_cast<size_t>(v)].meta.shape);
      for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(i % 251) / 251.0f - 0.5f;
      r.in.push_back(&t);
    }
  }
  for (int v : n.outputs) r.out.push_back(&r.owned.emplace_back(ex.values()[static_cast<size_t>(v)].meta.shape));
  return r;
}

// "Conv 1x16x128x128 -> 1x16x128x128 (w 16x1x3x3, group 16)": distinct layers only.
std::string signature(const Executor& ex, size_t node) {
  const Graph& g = ex.graph();
  const Node& n = g.nodes[node];
  std::string s = n.op_type + " " + shape_str(ex.values()[static_cast<size_t>(n.inputs[0])].meta.shape) + "->" +
                  shape_str(ex.values()[static_cast<size_t>(n.outputs[0])].meta.shape) + " w" +
                  shape_str(g.values[static_cast<size_t>(n.inputs[1])].constant->shape());
  for (const auto& [name, attr] : n.attrs.all()) {
    s += " " + name + "=";
    std::visit(
        [&s](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) s += v;
          else if constexpr (std::is_arithmetic_v<T>) s += std::to_string(v);
          else for (auto x : v) s += std::to_string(x) + ",";
        },
        attr);
  }
  return s;
}

void register_layer_benchmarks(const std::string& model) {
  auto ex = std::make_shared<Executor>(load_model(model));
  std::set<std::string> seen;
  for (size_t node : ex->linear_nodes()) {
    const std::string sig = signature(*ex, node);
    if (!seen.insert(sig).second) continue;
    const Node& n = ex->graph().nodes[node];
    const std::string name = "BM_Layer/" + n.op_type + "/" + n.name + "/" +
                             shape_str(ex->values()[static_cast<size_t>(n.inputs[0])].meta.shape);
    benchmark::RegisterBenchmark(name.c_str(), [ex, node](benchmark::State& state) {
      NodeRun r = make_node_run(*ex, node);
      for (auto _ : state) {
        r.op->run(r.in, r.out);
        benchmark::DoNotOptimize(r.out[0]->f32());
      }
      state.counters["MACs"] = static_cast<double>(ex->node_macs(node));
      state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(ex->node_macs(node)) * 1e-9,
                                                    benchmark::Counter::kIsIterationInvariantRate);
    })->Unit(benchmark::kMicrosecond)->UseRealTime();
  }
}

// The simulated (fake) quantizer on the largest linear-layer input of the default model,
// 16x128x128 floats, at 8 and 4 bits.
void BM_FakeQuantize(benchmark::State& state) {
  const UniformQuantizer q(static_cast<int>(state.range(0)), -3.0, 3.0);
  std::vector<float> x(16 * 128 * 128), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 251) / 40.0f - 3.0f;
  for (auto _ : state) {
    q.apply(x, y);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(x.size()));
}
BENCHMARK(BM_FakeQuantize)->Arg(8)->Arg(4)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The Dynamic-ResQ policy on one layer input of a static-camera frame: x_t = x_k plus a little
// noise everywhere and 1/16 of the pixels well above the threshold, either a moving patch or
// (third argument 1) single pixels spread over the plane, as a camera's noise leaves them in the
// first layers (vtest: runs of 2-4 pixels); pool {0, 4, 8}, tau 3. Channels x side: the default
// model's largest inputs (16 x 128 x 128, the image 3 x 256 x 256) and a wide one (96 x 32 x 32).
void BM_PixelBitPolicy(benchmark::State& state) {
  const PixelLayout px{1, state.range(0), state.range(1) * state.range(1)};
  const bool spread = state.range(2) != 0;
  std::vector<float> x_k(static_cast<size_t>(px.channels * px.inner)), x(x_k.size());
  std::mt19937 rng(1);
  std::normal_distribution<float> value(0.0f, 1.0f), noise(0.0f, 0.01f);
  for (size_t i = 0; i < x.size(); ++i) {
    x_k[i] = value(rng);
    const int64_t p = static_cast<int64_t>(i) % px.inner;
    const bool moving = spread ? (p * 2654435761u) % 16 == 0 : p < px.inner / 16;
    x[i] = x_k[i] + (moving ? value(rng) : noise(rng));
  }
  const std::vector<std::optional<UniformQuantizer>> pool = {
      UniformQuantizer(0, -1.0, 1.0), UniformQuantizer(4, -1.0, 1.0), UniformQuantizer(8, -1.0, 1.0)};
  PixelBitPolicy policy;
  for (auto _ : state) {
    policy.choose(x, x_k, px, pool, 10.0, 3.0);
    benchmark::DoNotOptimize(policy.candidates().data());
  }
  state.counters["candidates"] = static_cast<double>(policy.candidates().size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(x.size()));
}
BENCHMARK(BM_PixelBitPolicy)
    ->Args({16, 128, 0})
    ->Args({96, 32, 0})
    ->Args({16, 128, 1})
    ->Args({3, 256, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// Dynamic-ResQ residual sums pixel by pixel (ScatterSums) at the default model's shapes: a
// depthwise 3x3 (channels x side x side, stride 1) or the image's first conv (3 channels, 3x3,
// stride 2, 16 outputs), one group of candidate pixels: 1 in `every` pixels spread over the
// plane (moving content reaches 1/4 to 3/4 in the depthwise layers, the image's first conv
// about 1/4).
void BM_ScatterSums(benchmark::State& state) {
  const int64_t channels = state.range(0), side = state.range(1), every = state.range(2);
  const bool depthwise = channels != 3;
  const int64_t stride = depthwise ? 1 : 2, m = depthwise ? channels : 16;
  WindowAttrs a;
  a.strides = {stride, stride};
  a.pads = {1, 1, 1, 1};
  const Window w = forward_window(a, {side, side}, {3, 3});
  const TapReach reach(w);
  std::vector<int64_t> pixels, index;
  for (int64_t p = 0; p < w.in_size(); ++p)
    if ((static_cast<uint64_t>(p) * 2654435761u >> 8) % static_cast<uint64_t>(every) == 0) {
      index.push_back(static_cast<int64_t>(pixels.size()));
      pixels.push_back(p);
    }
  const auto n = static_cast<int64_t>(pixels.size());
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> level(-8, 7);
  std::vector<float> levels(static_cast<size_t>(channels * n));
  for (float& l : levels) l = static_cast<float>(level(rng));
  std::vector<float> weights(static_cast<size_t>((depthwise ? 1 : m) * channels * 9));
  for (float& k : weights) k = static_cast<float>(level(rng));
  const std::vector<float> multiplier(static_cast<size_t>(m), 0.01f);
  std::vector<float> out(static_cast<size_t>(m * w.out_size()), 1.0f);
  ScatterSums ss;
  for (auto _ : state) {
    if (depthwise)
      ss.set_depthwise_weights(weights.data(), channels, 9);
    else
      ss.set_weights(weights.data(), channels, m, 9);
    ss.add(w, reach, pixels, index, levels.data(), n, multiplier.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["pixels"] = static_cast<double>(n);
}
BENCHMARK(BM_ScatterSums)
    ->Args({16, 128, 4})
    ->Args({16, 128, 1})
    ->Args({72, 32, 2})
    ->Args({128, 16, 1})
    ->Args({3, 256, 4})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace resq

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    resq::register_layer_benchmarks(std::string(RESQ_ASSET_DIR) + "/selfie_segmentation.tflite");
  } catch (const std::exception& e) {
    std::cerr << "resq_bench: " << e.what() << "\n";
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
