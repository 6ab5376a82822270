#include "engine/ops/epilogue.h"

namespace resq {
namespace {

template <class F>
void transform(float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(y[i]);
}

}  // namespace

void Epilogue::apply(float* __restrict y, int64_t offset, int64_t n) const {
  if (addend) {
    const float* __restrict a = addend + offset;
    for (int64_t i = 0; i < n; ++i) y[i] += a[i];
  }
  switch (activation) {
    case Activation::kNone:
      return;
    case Activation::kRelu:
      return transform(y, n, [](float x) { return relu(x); });
    case Activation::kClip:
      return transform(y, n, [lo = lo, hi = hi](float x) { return clip(x, lo, hi); });
    case Activation::kHardSwish:
      return transform(y, n, [](float x) { return hard_swish(x); });
    case Activation::kTimesHardSigmoid:
      return transform(y, n, [a = alpha, b = beta](float x) { return x * hard_sigmoid(x, a, b); });
  }
}

}  // namespace resq
