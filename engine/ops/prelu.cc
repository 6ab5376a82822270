#include "engine/ops/prelu.h"

#include "engine/error.h"
#include "engine/ops/broadcast.h"

namespace resq {
namespace {

class PReluOp : public Op {
 public:
  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 2 || !in[0].present || !in[1].present)
      throw OpError("expects 2 inputs X and slope, got " + std::to_string(in.size()));
    for (size_t i = 0; i < 2; ++i)
      if (in[i].dtype != DType::kFloat32)
        throw OpError(std::string(i == 0 ? "X" : "slope") + " must be float32, got " +
                      dtype_name(in[i].dtype));
    // Unidirectional: slope broadcasts to X, never the other way.
    if (broadcast_shape(in[0].shape, in[1].shape) != in[0].shape)
      throw OpError("slope shape " + shape_str(in[1].shape) + " does not broadcast to X shape " +
                    shape_str(in[0].shape));
    return std::vector<TensorMeta>{{DType::kFloat32, in[0].shape}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->f32();
    const float* slope = in[1]->f32();
    float* y = out[0]->f32();
    const BroadcastPlan plan = plan_broadcast(in[0]->shape(), in[1]->shape(), in[0]->shape());
    const int64_t n = plan.dims.back();
    const bool slope_steps = plan.b_strides.back() != 0;
    for_each_row(plan, [&](int64_t x_off, int64_t, int64_t s_off) {
      const float* px = x + x_off;
      const float* ps = slope + s_off;
      float* py = y + x_off;
      if (slope_steps) {
        for (int64_t i = 0; i < n; ++i) py[i] = px[i] < 0 ? ps[i] * px[i] : px[i];
      } else {
        const float s = *ps;
        for (int64_t i = 0; i < n; ++i) py[i] = px[i] < 0 ? s * px[i] : px[i];
      }
    });
  }
};

}  // namespace

std::unique_ptr<Op> make_prelu(const Attributes&) { return std::make_unique<PReluOp>(); }

}  // namespace resq
