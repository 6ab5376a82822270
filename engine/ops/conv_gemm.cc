#include "engine/ops/conv_gemm.h"

#include <cstring>
#include <type_traits>
#include <vector>

#include "engine/ops/float_vec.h"

namespace resq {
namespace {

// Vec is one vector register of floats; a block keeps kRows x 2 of them as accumulators. AVX-512
// has 32 registers: 8 x 2 = 16 accumulators. AVX2 and SSE have 16: 6 x 2 = 12, leaving room for
// the two B loads and the broadcast weight (8 x 2 there spills on every multiply-add, 20x slower).
#if defined(__AVX512F__)
constexpr int kRows = 8;
#else
constexpr int kRows = 6;
#endif

// What becomes of a finished part of C: stored as it is, or with the epilogue's addend (laid
// out as C) added and its activation applied, in the epilogue's order, on the registers.
template <Epilogue::Activation A, int kAdd>  // kAdd: 0 none, 1 before the activation, 2 after
struct Store {
  const float* c0;      // C's first element
  const float* add0;    // the addend of C's first element
  float lo = 0, hi = 0;  // kClip bounds

  template <class T>
  T finish(T v, const float* at) const {  // `at`: where v goes in C
    if constexpr (kAdd == 1) v += value<T>(add0 + (at - c0));
    if constexpr (A == Epilogue::Activation::kRelu) v = relu(v);
    if constexpr (A == Epilogue::Activation::kClip) v = clip(v, lo, hi);
    if constexpr (A == Epilogue::Activation::kHardSwish) v = hard_swish(v);
    if constexpr (kAdd == 2) v = rounded(v) + value<T>(add0 + (at - c0));
    return v;
  }
  template <class T>
  static T value(const float* p) {
    if constexpr (std::is_same_v<T, float>)
      return *p;
    else
      return load(p);
  }
};
using PlainStore = Store<Epilogue::Activation::kNone, 0>;

// B's rows: row p at b + p * ldb, or at rows[p] + offset (kernel taps on phase planes).
struct StridedRows {
  const float* b;
  int64_t ldb;
  const float* row(int64_t p) const { return b + p * ldb; }
  StridedRows from(int64_t j) const { return {b + j, ldb}; }  // columns j, j + 1, ...
};
struct ListedRows {
  const float* const* rows;
  int64_t offset;
  const float* row(int64_t p) const { return rows[p] + offset; }
  ListedRows from(int64_t j) const { return {rows, offset + j}; }
};

// C[R x V*16] = bias + A[R x k] * B[k x V*16]: the R*V accumulators live in registers.
template <int R, int V, class B, class S>
void block(int64_t k, const float* a, int64_t lda, const B& b, const float* bias, float* c,
           int64_t ldc, const S& st) {
  Vec acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = Vec{} + (bias ? bias[r] : 0.0f);
  for (int64_t p = 0; p < k; ++p) {
    Vec bv[V];
    const float* row = b.row(p);
    for (int v = 0; v < V; ++v) bv[v] = load(row + v * kLanes);
    for (int r = 0; r < R; ++r) {
      const float w = a[r * lda + p];
      for (int v = 0; v < V; ++v) acc[r][v] = mul_add(w, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) {
      float* at = c + r * ldc + v * kLanes;
      store(at, st.finish(acc[r][v], at));
    }
}

// All rows of C for one column block, in panels of kRows, 4, 2 and 1 rows.
template <int V, class B, class S>
void column_block(int64_t m, int64_t k, const float* a, int64_t lda, const B& b,
                  const float* bias, float* c, int64_t ldc, const S& st) {
  auto panel = [&]<int R>(int64_t i) {
    block<R, V>(k, a + i * lda, lda, b, bias ? bias + i : nullptr, c + i * ldc, ldc, st);
  };
  int64_t i = 0;
  for (; i + kRows <= m; i += kRows) panel.template operator()<kRows>(i);
  if (i + 4 <= m) panel.template operator()<4>(i), i += 4;
  if (i + 2 <= m) panel.template operator()<2>(i), i += 2;
  if (i < m) panel.template operator()<1>(i);
}

template <class B, class S>
void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const B& b,
          const float* bias, float* c, int64_t ldc, const S& st) {
  // When several row panels read a column block of B whose rows lie a multiple of 2 KB apart
  // (a conv's input planes: power-of-two sizes), it is copied into one contiguous block first:
  // such rows fall in one or two L1 sets, and more rows than the sets' ways evict each other
  // on every panel. Other strides (im2col columns) and listed rows are read where they lie.
  thread_local std::vector<float> packed;
  bool pack = false;
  if constexpr (std::is_same_v<B, StridedRows>)
    pack = m > kRows && (b.ldb * static_cast<int64_t>(sizeof(float))) % 2048 == 0;
  // Columns [j, j + V * kLanes) of all rows of C.
  auto columns = [&]<int V>(int64_t j) {
    constexpr int64_t width = V * kLanes;
    if (!pack) return column_block<V>(m, k, a, lda, b.from(j), bias, c + j, ldc, st);
    packed.resize(static_cast<size_t>(k * width));
    for (int64_t p = 0; p < k; ++p)
      std::memcpy(packed.data() + p * width, b.row(p) + j, width * sizeof(float));
    column_block<V>(m, k, a, lda, StridedRows{packed.data(), width}, bias, c + j, ldc, st);
  };
  int64_t j = 0;
  for (; j + 2 * kLanes <= n; j += 2 * kLanes) columns.template operator()<2>(j);
  if (j + kLanes <= n) columns.template operator()<1>(j), j += kLanes;
  // Fewer than 16 columns left (n == 1 for squeeze-excitation convs): dot products.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t jj = j; jj < n; ++jj) {
      float s = bias ? bias[i] : 0.0f;
      for (int64_t p = 0; p < k; ++p) s = mul_add(a[i * lda + p], b.row(p)[jj], s);
      c[i * ldc + jj] = st.finish(s, &c[i * ldc + jj]);
    }
}

// Calls gemm with the Store for post's activation and addend order (none without post).
template <class B>
void gemm_with_epilogue(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                        const B& b, const float* bias, float* c, int64_t ldc, const Epilogue* post,
                        const float* addend) {
  using A = Epilogue::Activation;
  auto with_add = [&]<int kAdd>() {
    switch (post->activation) {
      case A::kRelu:
        return gemm(m, n, k, a, lda, b, bias, c, ldc, Store<A::kRelu, kAdd>{c, addend});
      case A::kClip:
        return gemm(m, n, k, a, lda, b, bias, c, ldc,
                    Store<A::kClip, kAdd>{c, addend, post->lo, post->hi});
      case A::kHardSwish:
        return gemm(m, n, k, a, lda, b, bias, c, ldc, Store<A::kHardSwish, kAdd>{c, addend});
      default:  // kNone (kTimesHardSigmoid is not gemm_fusable)
        return gemm(m, n, k, a, lda, b, bias, c, ldc, Store<A::kNone, kAdd>{c, addend});
    }
  };
  if (post == nullptr) return gemm(m, n, k, a, lda, b, bias, c, ldc, PlainStore{c, nullptr});
  if (addend == nullptr) return with_add.template operator()<0>();
  if (post->add_after_activation) return with_add.template operator()<2>();
  with_add.template operator()<1>();
}

}  // namespace

void conv_gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, const float* bias, float* c, int64_t ldc, const Epilogue* post,
               const float* addend) {
  gemm_with_epilogue(m, n, k, a, lda, StridedRows{b, ldb}, bias, c, ldc, post, addend);
}

void conv_gemm_rows(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* const* rows, int64_t offset, const float* bias, float* c,
                    int64_t ldc, const Epilogue* post, const float* addend) {
  gemm_with_epilogue(m, n, k, a, lda, ListedRows{rows, offset}, bias, c, ldc, post, addend);
}

}  // namespace resq
