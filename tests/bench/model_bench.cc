// FP32 latency of the default model (256x256, single thread) through each importer.
// Run: build/release/tests/bench/resq_bench --benchmark_filter=DefaultModel --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// (main() is in kernel_bench.cc)
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/model.h"

namespace resq {
namespace {

void run_model(benchmark::State& state, const std::string& path, Shape input_shape) {
  Executor ex(load_model(path));
  std::vector<Tensor> in(1, Tensor(input_shape));
  // A smooth, non-constant image so no op sees a degenerate input.
  for (int64_t i = 0; i < in[0].numel(); ++i) in[0].f32()[i] = static_cast<float>(i % 251) / 251.0f;
  for (auto _ : state) {
    std::vector<Tensor> out = ex.run(in);
    benchmark::DoNotOptimize(out.front().f32());
  }
}

void BM_DefaultModelFp32_Tflite(benchmark::State& state) {
  run_model(state, std::string(RESQ_ASSET_DIR) + "/selfie_segmentation.tflite", {1, 256, 256, 3});
}
void BM_DefaultModelFp32_Onnx(benchmark::State& state) {
  run_model(state, std::string(RESQ_TEST_DATA_DIR) + "/golden/selfie_segmentation/selfie_segmentation.onnx",
            {1, 3, 256, 256});
}
BENCHMARK(BM_DefaultModelFp32_Tflite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DefaultModelFp32_Onnx)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace resq
