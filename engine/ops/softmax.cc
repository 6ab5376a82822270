#include "engine/ops/softmax.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace resq {
namespace {

// Softmax over groups of n elements spaced `inner` apart: opset 13 uses one axis
// (n = dims[axis], inner = prod(dims[axis+1:])); coerce_2d (opset < 13) reduces over
// all of dims[axis:] (n = their product, inner = 1).
class SoftmaxOp : public Op {
 public:
  explicit SoftmaxOp(const Attributes& attrs)
      : coerce_2d_(attrs.get_int("coerce_2d", 0)),
        axis_(attrs.get_int("axis", coerce_2d_ ? 1 : -1)) {
    if (coerce_2d_ != 0 && coerce_2d_ != 1)
      throw OpError("attribute 'coerce_2d' must be 0 or 1, got " + std::to_string(coerce_2d_));
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 1 || !in[0].present)
      throw OpError("expects 1 input, got " + std::to_string(in.size()));
    if (in[0].dtype != DType::kFloat32)
      throw OpError(std::string("input must be float32, got ") + dtype_name(in[0].dtype));
    const auto rank = static_cast<int64_t>(in[0].shape.size());
    if (axis_ < -rank || axis_ >= rank)
      throw OpError("axis " + std::to_string(axis_) + " is out of range for rank " +
                    std::to_string(rank));
    return std::vector<TensorMeta>{{DType::kFloat32, in[0].shape}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& x = *in[0];
    const int rank = x.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < rank; ++d) {
      if (d < axis)
        outer *= x.dim(d);
      else if (d == axis || coerce_2d_)
        n *= x.dim(d);
      else
        inner *= x.dim(d);
    }
    const float* px = x.f32();
    float* py = out[0]->f32();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const float* src = px + o * n * inner + i;
        float* dst = py + o * n * inner + i;
        float max = -INFINITY;
        for (int64_t k = 0; k < n; ++k) max = std::max(max, src[k * inner]);
        float sum = 0;
        for (int64_t k = 0; k < n; ++k) {
          dst[k * inner] = std::exp(src[k * inner] - max);
          sum += dst[k * inner];
        }
        const float scale = 1.0f / sum;
        for (int64_t k = 0; k < n; ++k) dst[k * inner] *= scale;
      }
    }
  }

 private:
  int64_t coerce_2d_;
  int64_t axis_;
};

}  // namespace

std::unique_ptr<Op> make_softmax(const Attributes& attrs) {
  return std::make_unique<SoftmaxOp>(attrs);
}

}  // namespace resq
