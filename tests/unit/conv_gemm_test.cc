#include "engine/ops/conv_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/op_testing.h"

namespace resq {
namespace {

struct GemmShape {
  int64_t m, n, k;
};

// C = bias + A * B against a double sum (with and without bias) on sub-matrices whose row
// strides exceed their widths, and the C elements outside the n columns untouched.
void expect_product(const GemmShape& s, int64_t ldb, uint32_t& seed) {
  const int64_t lda = s.k + 3, ldc = s.n + 7;
  const Tensor a = testing::random_tensor({s.m, lda}, seed++);
  const Tensor b = testing::random_tensor({s.k, ldb}, seed++);
  const Tensor c0 = testing::random_tensor({s.m, ldc}, seed++);
  const Tensor bias = testing::random_tensor({s.m}, seed++);
  const bool with_bias = seed % 2 == 0;
  Tensor c = c0;
  conv_gemm(s.m, s.n, s.k, a.f32(), lda, b.f32(), ldb, with_bias ? bias.f32() : nullptr, c.f32(),
            ldc);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const float got = c.f32()[i * ldc + j];
      if (j >= s.n) {
        ASSERT_EQ(got, c0.f32()[i * ldc + j]) << "column " << j << " beyond n = " << s.n;
        continue;
      }
      double want = with_bias ? bias.f32()[i] : 0.0;
      for (int64_t p = 0; p < s.k; ++p)
        want += static_cast<double>(a.f32()[i * lda + p]) * b.f32()[p * ldb + j];
      ASSERT_NEAR(got, want, 1e-5 * static_cast<double>(s.k + 1))
          << "m=" << s.m << " n=" << s.n << " k=" << s.k << " ldb=" << ldb << " at (" << i << ", "
          << j << ")";
    }
}

// Every row panel (8 or 6, 4, 2, 1) and column case (blocks of two vectors, one block of one, a
// tail narrower than a vector).
TEST(ConvGemm, MatchesTheProductInEveryBlockAndTail) {
  const std::vector<GemmShape> shapes = {{1, 1, 1},   {3, 15, 27},  {8, 16, 9},   {13, 17, 5},
                                         {16, 32, 27}, {15, 33, 16}, {72, 100, 16}, {24, 64, 128},
                                         {7, 49, 3}};
  uint32_t seed = 1;
  for (const GemmShape& s : shapes) expect_product(s, s.n + 5, seed);
}

// B's rows 2 KB and 4 KB apart (a conv's input planes), where conv_gemm copies each column block
// before the row panels read it: the same product, several panels, blocks and a tail.
TEST(ConvGemm, CopiedColumnBlocksOfPlaneStrides) {
  uint32_t seed = 100;
  for (const GemmShape& s : std::vector<GemmShape>{{16, 100, 24}, {13, 512, 7}, {72, 37, 16}})
    for (int64_t ldb : {int64_t{512}, int64_t{1024}}) expect_product(s, ldb, seed);
}

// Integer-valued operands, as the quantized layers' levels: every sum is exact, so the result
// must equal the exact product bit for bit (the float-sums path relies on it).
TEST(ConvGemm, ExactOnIntegerLevels) {
  const int64_t m = 16, n = 40, k = 128;
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(static_cast<int>(i * 37 % 255) - 127);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(static_cast<int>(i * 91 % 255) - 128);
  conv_gemm(m, n, k, a.data(), k, b.data(), n, nullptr, c.data(), n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t want = 0;
      for (int64_t p = 0; p < k; ++p)
        want += static_cast<int64_t>(a[i * k + p]) * static_cast<int64_t>(b[p * n + j]);
      ASSERT_EQ(c[i * n + j], static_cast<float>(want)) << "(" << i << ", " << j << ")";
    }
}

// The epilogue applied on the registers (each activation; addend before, after or none) gives
// the plain product followed by Epilogue::apply, bit for bit, in blocks and in the tail; the
// columns beyond n stay untouched.
TEST(ConvGemm, FusedEpilogueMatchesApplyAfterwards) {
  using A = Epilogue::Activation;
  const int64_t m = 13, n = 45, k = 9, ldc = 50;
  const Tensor a = testing::random_tensor({m, k}, 1), b = testing::random_tensor({k, n}, 2);
  const Tensor bias = testing::random_tensor({m}, 3), c0 = testing::random_tensor({m, ldc}, 4);
  Tensor addend = testing::random_tensor({m, ldc}, 5);
  for (float& v : addend.floats()) v *= 3.0f;  // moves sums across the activations' bends
  for (const A act : {A::kNone, A::kRelu, A::kClip, A::kHardSwish})
    for (int add = 0; add < 3; ++add) {
      Epilogue e;
      e.activation = act;
      e.lo = -0.5f, e.hi = 0.75f;
      e.addend = add > 0 ? addend.f32() : nullptr;
      e.add_after_activation = add == 2;
      Tensor want = c0, got = c0;
      conv_gemm(m, n, k, a.f32(), k, b.f32(), n, bias.f32(), want.f32(), ldc);
      for (int64_t i = 0; i < m; ++i) e.apply(want.f32() + i * ldc, i * ldc, n);
      conv_gemm(m, n, k, a.f32(), k, b.f32(), n, bias.f32(), got.f32(), ldc, &e, e.addend);
      for (int64_t i = 0; i < m * ldc; ++i)
        ASSERT_EQ(got.f32()[i], want.f32()[i])
            << "activation " << static_cast<int>(act) << " addend mode " << add << " at " << i;
    }
}

// B given as a list of row pointers plus a column offset (a conv's taps on its phase planes):
// the same result as the contiguous B, bit for bit, in every row panel, column block and tail,
// with the epilogue and an addend on the registers.
TEST(ConvGemm, ListedRowsMatchContiguousB) {
  const int64_t offset = 5;
  uint32_t seed = 200;
  const std::vector<GemmShape> shapes = {{16, 128, 27}, {13, 45, 9}, {8, 7, 36}, {1, 33, 1}};
  for (const GemmShape& s : shapes) {
    const Tensor a = testing::random_tensor({s.m, s.k}, seed++);
    const Tensor b = testing::random_tensor({s.k, s.n}, seed++);
    const Tensor bias = testing::random_tensor({s.m}, seed++);
    const Tensor addend = testing::random_tensor({s.m, s.n}, seed++);
    // Each row of B copied into its own buffer at `offset`, the buffers in reverse order.
    std::vector<std::vector<float>> stored(static_cast<size_t>(s.k));
    std::vector<const float*> rows(static_cast<size_t>(s.k));
    for (int64_t p = s.k - 1; p >= 0; --p) {
      stored[p].assign(static_cast<size_t>(s.n + offset + 3), -7.0f);
      std::copy(b.f32() + p * s.n, b.f32() + (p + 1) * s.n, stored[p].begin() + offset);
      rows[p] = stored[p].data();
    }
    Epilogue e;
    e.activation = Epilogue::Activation::kHardSwish;
    e.addend = addend.f32();
    Tensor want({s.m, s.n}), got({s.m, s.n});
    conv_gemm(s.m, s.n, s.k, a.f32(), s.k, b.f32(), s.n, bias.f32(), want.f32(), s.n, &e,
              e.addend);
    conv_gemm_rows(s.m, s.n, s.k, a.f32(), s.k, rows.data(), offset, bias.f32(), got.f32(), s.n,
                   &e, e.addend);
    EXPECT_EQ(std::vector<float>(got.floats().begin(), got.floats().end()),
              std::vector<float>(want.floats().begin(), want.floats().end()))
        << "m=" << s.m << " n=" << s.n << " k=" << s.k;
  }
}

}  // namespace
}  // namespace resq
