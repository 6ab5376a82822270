// One video stream through a quantized model: the executor run with a per-layer scheme on the
// linear layers (fp32, frame quantization, ResQ), the stream's KeyframeCache and the cost of
// every frame. Sessions share one immutable QuantizedModel.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/executor.h"
#include "engine/quant/bit_config.h"
#include "engine/resq/frame_cost.h"
#include "engine/resq/keyframe_cache.h"
#include "engine/resq/quantized_model.h"

namespace resq {

struct StreamConfig {
  BitConfig bits;   // scheme and bit-widths, e.g. BitConfig::parse("W8A8->W4A4")
  int period = 4;   // T: a keyframe every T frames (ResQ)
};

class StreamSession : private LinearLayerRunner {
 public:
  // Throws std::invalid_argument for an invalid config (T < 1, bits without a calibration).
  StreamSession(std::shared_ptr<const QuantizedModel> model, StreamConfig config);

  // Runs one frame and returns the model's outputs; its cost is then in last_cost().
  // On an error the keyframe state is dropped, so the next frame is a keyframe.
  std::vector<Tensor> process(std::span<const Tensor> inputs);

  const FrameCost& last_cost() const { return cost_; }
  const KeyframeCache& cache() const { return cache_; }
  const StreamConfig& config() const { return config_; }

 private:
  void run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override;
  // op(q_a(x), w) with the layer's own bias when `with_bias`; q_a = nullptr keeps x as is.
  void run_quantized(const Op& op, std::span<const Tensor* const> in, std::span<Tensor* const> out,
                     const Tensor& x, const UniformQuantizer* q_a, const Tensor& w, bool with_bias);
  void check_config(const StreamConfig& c) const;

  std::shared_ptr<const QuantizedModel> model_;
  StreamConfig config_;
  Executor executor_;
  KeyframeCache cache_;
  bool keyframe_ = true;          // the frame being processed is a keyframe
  int64_t frames_since_key_ = 0;  // frames processed since the last keyframe
  FrameCost cost_;
  Tensor activation_;             // quantized layer input (scratch)
};

}  // namespace resq
