// The integer GEMM of quantized convolutions against the float GEMMs on the same levels (Eigen's
// sgemm, and conv_gemm, which the FP32 convolutions use), at the default model's pointwise
// shapes (M output channels, K input channels, N pixels) and its first 3x3 conv (K = 27): what
// the integer kernels save per layer, measured in one process.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include "engine/ops/conv_gemm.h"
#include "engine/ops/gemm.h"
#include "engine/ops/window.h"
#include "engine/quant/int_gemm.h"

namespace resq {
namespace {

std::vector<float> levels(int64_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = static_cast<float>(d(rng));
  return v;
}

// Activation-like values: normal, a few grid steps of 0.05 wide.
std::vector<float> values(int64_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 2.0f);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = d(rng);
  return v;
}

void count_macs(benchmark::State& state, int64_t macs) {
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(macs) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (auto [m, k, n] : {std::array<int64_t, 3>{16, 27, 16384}, {16, 16, 16384}, {72, 16, 4096},
                         {24, 72, 4096}, {96, 24, 1024}, {24, 96, 1024}, {128, 96, 256}})
    b->Args({m, k, n});
  b->ArgNames({"M", "K", "N"});
}

void BM_IntGemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const std::vector<float> a = levels(m * k, 1), b = levels(k * n, 2);
  const PackedLevels packed(a.data(), m, k);
  std::vector<float> c(static_cast<size_t>(m * n));
  IntGemmScratch scratch;
  for (auto _ : state) {
    int_gemm(packed, b.data(), n, n, c.data(), n, scratch);
    benchmark::DoNotOptimize(c.data());
  }
  count_macs(state, m * k * n);
}
BENCHMARK(BM_IntGemm)->Apply(shapes);

void BM_FloatGemmOnLevels(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const std::vector<float> a = levels(m * k, 1), b = levels(k * n, 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  for (auto _ : state) {
    sgemm(false, false, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
    benchmark::DoNotOptimize(c.data());
  }
  count_macs(state, m * k * n);
}
BENCHMARK(BM_FloatGemmOnLevels)->Apply(shapes);

void BM_ConvGemmOnLevels(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const std::vector<float> a = levels(m * k, 1), b = levels(k * n, 2);
  std::vector<float> c(static_cast<size_t>(m * n));
  for (auto _ : state) {
    conv_gemm(m, n, k, a.data(), k, b.data(), n, nullptr, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  count_macs(state, m * k * n);
}
BENCHMARK(BM_ConvGemmOnLevels)->Apply(shapes);

// What a quantized layer runs (the input mapped to levels as it is packed, then the rescale
// and a ReLU applied to each output block) against what an FP32 layer runs (conv_gemm with its
// bias, then the ReLU per row): the per-layer comparison of the model, without the model.
void BM_IntGemmQuantizingFused(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const std::vector<float> a = levels(m * k, 1), b = values(k * n, 2);
  const std::vector<float> multiplier(static_cast<size_t>(m), 0.01f), bias = values(m, 3);
  const PackedLevels packed(a.data(), m, k);
  const LevelGrid grid{0.05f, -128.0f, 127.0f};
  Epilogue e;
  e.multiplier = multiplier.data();
  e.bias = bias.data();
  e.plane = n;
  e.channels = m;
  e.activation = Epilogue::Activation::kRelu;
  std::vector<float> c(static_cast<size_t>(m * n));
  IntGemmScratch scratch;
  for (auto _ : state) {
    int_gemm(packed, b.data(), n, n, c.data(), n, scratch, &e, 0, {&grid});
    benchmark::DoNotOptimize(c.data());
  }
  count_macs(state, m * k * n);
}
BENCHMARK(BM_IntGemmQuantizingFused)->Apply(shapes);

void BM_ConvGemmFused(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const std::vector<float> a = values(m * k, 1), b = values(k * n, 2), bias = values(m, 3);
  Epilogue e;
  e.activation = Epilogue::Activation::kRelu;
  std::vector<float> c(static_cast<size_t>(m * n));
  // About Conv's row tiles.
  const int64_t tile = std::max<int64_t>(64, tile_floats() / (k + m) / 64 * 64);
  for (auto _ : state) {
    for (int64_t j = 0; j < n; j += tile) {
      const int64_t cols = std::min(tile, n - j);
      conv_gemm(m, cols, k, a.data(), k, b.data() + j, n, bias.data(), c.data() + j, n);
      for (int64_t r = 0; r < m; ++r) e.apply(c.data() + r * n + j, r * n + j, cols);
    }
    benchmark::DoNotOptimize(c.data());
  }
  count_macs(state, m * k * n);
}
BENCHMARK(BM_ConvGemmFused)->Apply(shapes);

}  // namespace
}  // namespace resq
