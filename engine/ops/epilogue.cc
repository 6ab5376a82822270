#include "engine/ops/epilogue.h"

#include <algorithm>

namespace resq {
namespace {

template <class F>
void transform(float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(y[i]);
}

}  // namespace

void Epilogue::apply(float* __restrict y, int64_t offset, int64_t n) const {
  if (multiplier)  // channel by channel
    for (int64_t i = 0; i < n;) {
      const int64_t at = offset + i, len = std::min(n - i, plane - at % plane);
      const int64_t c = at / plane % channels;
      const float m = multiplier[c];
      float* __restrict p = y + i;
      if (base) {
        const float* __restrict b = base + at;
        for (int64_t j = 0; j < len; ++j) p[j] = scale_affine(p[j], m, b[j]);
      } else {
        const float b = bias ? bias[c] : 0.0f;
        for (int64_t j = 0; j < len; ++j) p[j] = scale_affine(p[j], m, b);
      }
      i += len;
    }
  if (keep) std::copy(y, y + n, keep + offset);
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
