#include "engine/ops/epilogue.h"

#include <algorithm>
#include <type_traits>

namespace resq {
namespace {

// One run of outputs (of one channel when scaling) and what is applied to it.
struct Run {
  float* y;
  int64_t n;
  float multiplier;
  const float* base;  // base[j] is the addend of the rescale, else `bias`
  float bias;
  float* keep;
  const float* addend;
};

// All steps in one pass over the run, each element loaded and stored once (a pass per step
// costs a load and a store per element each): the rescale, the kept copy, the addend, then the
// activation `f` (or the activation, then the addend), in the order of the separate nodes, so
// the results are theirs. kProductLast: f ends in a multiplication, which must not contract
// with the addend after it (rounded() stops that, and with it the loop's vectorisation: only
// where it is needed).
template <bool kScale, bool kBase, bool kKeep, bool kAddend, bool kAddLast, bool kProductLast,
          class F>
void fused_pass(const Run& r, F f) {
  float* __restrict y = r.y;
  const float* __restrict base = r.base;
  float* __restrict keep = r.keep;
  const float* __restrict addend = r.addend;
  const float m = r.multiplier, b = r.bias;
  for (int64_t j = 0; j < r.n; ++j) {
    float v = y[j];
    if constexpr (kScale) v = scale_affine(v, m, kBase ? base[j] : b);
    if constexpr (kKeep) keep[j] = v;
    if constexpr (kAddend) v += addend[j];
    v = f(v);
    if constexpr (kAddLast) v = (kProductLast ? rounded(v) : v) + addend[j];
    y[j] = v;
  }
}

// Calls body(std::bool_constant<flags>...) with the runtime flags as compile-time ones.
template <bool... kFixed, class Body>
void with_flags(Body&& body) {
  body(std::bool_constant<kFixed>{}...);
}
template <bool... kFixed, class Body, class... Flags>
void with_flags(Body&& body, bool flag, Flags... rest) {
  if (flag)
    with_flags<kFixed..., true>(body, rest...);
  else
    with_flags<kFixed..., false>(body, rest...);
}

// Calls body(f, product_last) with the activation's element function and whether it ends in a
// multiplication.
template <class Body>
void with_activation(const Epilogue& e, Body&& body) {
  const std::false_type select_last;
  const std::true_type product_last;
  switch (e.activation) {
    case Epilogue::Activation::kNone:
      return body([](float x) { return x; }, select_last);
    case Epilogue::Activation::kRelu:
      return body([](float x) { return relu(x); }, select_last);
    case Epilogue::Activation::kClip:
      return body([lo = e.lo, hi = e.hi](float x) { return clip(x, lo, hi); }, select_last);
    case Epilogue::Activation::kHardSwish:
      return body([](float x) { return hard_swish(x); }, product_last);
    case Epilogue::Activation::kTimesHardSigmoid:
      return body([a = e.alpha, b = e.beta](float x) { return x * hard_sigmoid(x, a, b); },
                  product_last);
  }
}

}  // namespace

void Epilogue::apply(float* y, int64_t offset, int64_t n) const {
  if (empty()) return;
  with_activation(*this, [&](auto f, auto product_last) {
    with_flags(
        [&](auto scale, auto has_base, auto has_keep, auto add_first, auto add_last) {
          auto pass = [&](const Run& r) {
            fused_pass<scale(), has_base(), has_keep(), add_first(), add_last(),
                       product_last()>(r, f);
          };
          if constexpr (!scale()) {
            pass({y, n, 1.0f, nullptr, 0.0f, keep ? keep + offset : nullptr,
                  addend ? addend + offset : nullptr});
          } else {
            for (int64_t i = 0; i < n;) {  // channel by channel
              const int64_t at = offset + i, len = std::min(n - i, plane - at % plane);
              const int64_t c = at / plane % channels;
              pass({y + i, len, multiplier[c], base ? base + at : nullptr,
                    bias ? bias[c] : 0.0f, keep ? keep + at : nullptr,
                    addend ? addend + at : nullptr});
              i += len;
            }
          }
        },
        multiplier != nullptr, multiplier != nullptr && base != nullptr, keep != nullptr,
        addend != nullptr && !add_after_activation, addend != nullptr && add_after_activation);
  });
}

}  // namespace resq
