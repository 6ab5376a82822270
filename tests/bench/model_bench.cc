// FP32 latency of the default model (256x256, single thread) through each importer, and the
// memory floor of a Dynamic-ResQ residual frame on it.
// Run: build/release/tests/bench/resq_bench --benchmark_filter=DefaultModel --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// (main() is in kernel_bench.cc)
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/model.h"
#include "engine/resq/calibration_json.h"
#include "engine/resq/stream_session.h"

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

// What every Dynamic-ResQ residual frame of the default model reads and writes before any
// arithmetic, as the method is defined (Eq. 5, 10-11): per linear layer, the policy's pass over
// x_t - x_k (here a sum of squares) and the output's start from z_k (a copy). The KeyframeCache
// is the one a real W8A8 keyframe leaves; x_t is a second copy of x_k (the previous layer's
// output, in the real frame). Compare with BM_DefaultModelFp32_Tflite: this is a lower bound of
// a residual frame's time in this design.
void BM_DefaultModelResidualFrameFloor(benchmark::State& state) {
  const std::string dir = RESQ_ASSET_DIR;
  std::shared_ptr<Graph> g = load_model(dir + "/selfie_segmentation.tflite");
  auto model = std::make_shared<QuantizedModel>(
      g, load_calibration(dir + "/selfie_segmentation.calib.json", *g), WeightGranularity::kPerChannel);
  StreamSession session(model, StreamConfig{BitConfig::parse("W8A8->W8A{0,4,8}"), 6});
  session.set_keyframe_inputs_from_outputs(false);  // every layer's x_k, to read as the method says
  std::vector<Tensor> in(1, Tensor({1, 256, 256, 3}));
  for (int64_t i = 0; i < in[0].numel(); ++i) in[0].f32()[i] = static_cast<float>(i % 251) / 251.0f;
  session.process(in);  // a keyframe: fills the cache
  const KeyframeCache& cache = session.cache();
  std::vector<Tensor> x_t, y;
  for (size_t li = 0; li < cache.size(); ++li) {
    x_t.push_back(cache.layer(li).x_k);
    y.emplace_back(cache.layer(li).z_k.shape());
  }
  for (auto _ : state) {
    double squares = 0;
    for (size_t li = 0; li < cache.size(); ++li) {
      const float* a = x_t[li].f32();
      const float* b = cache.layer(li).x_k.f32();
      // 16 partial sums, so that the loop vectorises without reordering a single sum.
      const int64_t n = x_t[li].numel();
      float sum[16] = {};
      int64_t i = 0;
      for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) sum[j] += (a[i + j] - b[i + j]) * (a[i + j] - b[i + j]);
      for (; i < n; ++i) sum[0] += (a[i] - b[i]) * (a[i] - b[i]);
      for (float v : sum) squares += v;
      const Tensor& z_k = cache.layer(li).z_k;
      std::copy(z_k.f32(), z_k.f32() + z_k.numel(), y[li].f32());
    }
    benchmark::DoNotOptimize(squares);
    benchmark::DoNotOptimize(y.back().f32());
  }
  state.counters["cache_MB"] = static_cast<double>(cache.bytes()) / 1e6;
}
BENCHMARK(BM_DefaultModelResidualFrameFloor)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace resq
