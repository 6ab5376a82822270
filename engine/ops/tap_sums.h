// The vector loop of the depthwise convolutions: one output row (or run of outputs) as the
// weighted sum of K tap rows.
#pragma once

#include <cstdint>

#include "engine/ops/float_vec.h"

namespace resq {

// y[x] = bias + sum_t k[t] * taps[t][x] for x < n, the taps added in order t = 0, 1, ...
// Outputs go in blocks of 8 registers with each tap's weight broadcast once per block: one
// vector at a time, every multiply-add also loaded its weight and waited for the previous one
// (the stride-2 layers ran at 4-5 GMAC/s). Tails take single vectors, then single floats.
// T > 0 fixes the tap count at compile time.
template <int T>
void sum_taps(const float* const* taps, const float* k, int64_t t_count, float bias,
              float* __restrict y, int64_t n) {
  const int t_n = T > 0 ? T : static_cast<int>(t_count);
  int64_t x = 0;
  auto blocks = [&]<int V>() {
    for (; x + V * kLanes <= n; x += V * kLanes) {
      Vec acc[V];
      for (int v = 0; v < V; ++v) acc[v] = Vec{} + bias;
      for (int t = 0; t < t_n; ++t) {
        const float kv = k[t];
        const float* src = taps[t] + x;
        for (int v = 0; v < V; ++v) acc[v] = mul_add(kv, load(src + v * kLanes), acc[v]);
      }
      for (int v = 0; v < V; ++v) store(y + x + v * kLanes, acc[v]);
    }
  };
  blocks.template operator()<8>();
  blocks.template operator()<1>();
  for (; x < n; ++x) {
    float acc = bias;
    for (int t = 0; t < t_n; ++t) acc = mul_add(k[t], taps[t][x], acc);
    y[x] = acc;
  }
}

}  // namespace resq
