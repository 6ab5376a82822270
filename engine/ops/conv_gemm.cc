#include "engine/ops/conv_gemm.h"

#include <cstring>
#include <vector>

namespace resq {
namespace {

// Vec is one vector register of floats; a block keeps kRows x 2 of them as accumulators. AVX-512
// has 32 registers: 8 x 2 = 16 accumulators. AVX2 and SSE have 16: 6 x 2 = 12, leaving room for
// the two B loads and the broadcast weight (8 x 2 there spills on every multiply-add, 20x slower).
#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int kRows = 8;
#elif defined(__AVX__)
constexpr int kLanes = 8;
constexpr int kRows = 6;
#else
constexpr int kLanes = 4;
constexpr int kRows = 6;
#endif
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

// C[R x V*16] = bias + A[R x k] * B[k x V*16]: the R*V accumulators live in registers.
template <int R, int V>
void block(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, const float* bias,
           float* c, int64_t ldc) {
  Vec acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = Vec{} + (bias ? bias[r] : 0.0f);
  for (int64_t p = 0; p < k; ++p) {
    Vec bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load(b + p * ldb + v * kLanes);
    for (int r = 0; r < R; ++r) {
      const float w = a[r * lda + p];
      for (int v = 0; v < V; ++v) acc[r][v] += w * bv[v];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) store(c + r * ldc + v * kLanes, acc[r][v]);
}

// All rows of C for one column block, in panels of kRows, 4, 2 and 1 rows.
template <int V>
void column_block(int64_t m, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                  const float* bias, float* c, int64_t ldc) {
  auto panel = [&]<int R>(int64_t i) {
    block<R, V>(k, a + i * lda, lda, b, ldb, bias ? bias + i : nullptr, c + i * ldc, ldc);
  };
  int64_t i = 0;
  for (; i + kRows <= m; i += kRows) panel.template operator()<kRows>(i);
  if (i + 4 <= m) panel.template operator()<4>(i), i += 4;
  if (i + 2 <= m) panel.template operator()<2>(i), i += 2;
  if (i < m) panel.template operator()<1>(i);
}

}  // namespace

void conv_gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, const float* bias, float* c, int64_t ldc) {
  // When several row panels read a column block of B whose rows lie a multiple of 2 KB apart
  // (a conv's input planes: power-of-two sizes), it is copied into one contiguous block first:
  // such rows fall in one or two L1 sets, and more rows than the sets' ways evict each other
  // on every panel. Other strides (im2col columns) are read where they lie.
  thread_local std::vector<float> packed;
  const bool pack = m > kRows && (ldb * static_cast<int64_t>(sizeof(float))) % 2048 == 0;
  // Columns [j, j + V * kLanes) of all rows of C.
  auto columns = [&]<int V>(int64_t j) {
    constexpr int64_t width = V * kLanes;
    if (!pack) return column_block<V>(m, k, a, lda, b + j, ldb, bias, c + j, ldc);
    packed.resize(static_cast<size_t>(k * width));
    for (int64_t p = 0; p < k; ++p)
      std::memcpy(packed.data() + p * width, b + p * ldb + j, width * sizeof(float));
    column_block<V>(m, k, a, lda, packed.data(), width, bias, c + j, ldc);
  };
  int64_t j = 0;
  for (; j + 2 * kLanes <= n; j += 2 * kLanes) columns.template operator()<2>(j);
  if (j + kLanes <= n) columns.template operator()<1>(j), j += kLanes;
  // Fewer than 16 columns left (n == 1 for squeeze-excitation convs): dot products.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t jj = j; jj < n; ++jj) {
      float s = bias ? bias[i] : 0.0f;
      for (int64_t p = 0; p < k; ++p) s += a[i * lda + p] * b[p * ldb + jj];
      c[i * ldc + jj] = s;
    }
}

}  // namespace resq
