#include "engine/quant/int_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#if !defined(RESQ_KERNEL_ONLY)
#include "engine/ops/gemm.h"
#endif

namespace resq {
namespace {

// Levels of a `bits`-bit symmetric quantizer: [-2^(b-1), 2^(b-1) - 1], as floats.
std::vector<float> random_levels(int64_t count, int bits, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = static_cast<float>(d(rng));
  return v;
}

// C = A * B in int64, the reference.
std::vector<float> reference(const std::vector<float>& a, const std::vector<float>& b, int64_t m,
                             int64_t n, int64_t k) {
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += static_cast<int64_t>(a[i * k + p]) * static_cast<int64_t>(b[p * n + j]);
      c[i * n + j] = static_cast<float>(s);
    }
  return c;
}

struct Case {
  int64_t m, n, k;
  int a_bits, w_bits;
};

TEST(IntGemm, MatchesIntegerReferenceAndFloatGemm) {
  std::mt19937 rng(7);
  // Edges of the micro-kernel (6 rows, 16 or 32 columns) and of the packed column blocks,
  // depths that are not a multiple of the depth group (2 or 4), 4 and 8 bits.
  const Case cases[] = {{1, 1, 1, 8, 8},       {6, 16, 2, 8, 8},     {7, 17, 3, 8, 8},
                        {5, 15, 27, 8, 8},     {16, 1000, 32, 8, 8}, {13, 4100, 129, 8, 8},
                        {24, 300, 1024, 8, 8}, {33, 77, 96, 4, 4},   {8, 40, 5, 4, 8},
                        {9, 33, 6, 8, 8},      {8, 32, 7, 8, 8}};
  for (const Case& t : cases) {
    SCOPED_TRACE(::testing::Message() << t.m << "x" << t.n << "x" << t.k);
    const std::vector<float> a = random_levels(t.m * t.k, t.w_bits, rng);
    const std::vector<float> b = random_levels(t.k * t.n, t.a_bits, rng);
    const std::vector<float> want = reference(a, b, t.m, t.n, t.k);
    IntGemmScratch scratch;
    std::vector<float> got(static_cast<size_t>(t.m * t.n), -1.0f);
    int_gemm(PackedLevels(a.data(), t.m, t.k), b.data(), t.n, t.n, got.data(), t.n, scratch);
    EXPECT_EQ(got, want);
#if !defined(RESQ_KERNEL_ONLY)
    // The float GEMM on the same levels gives the same sums when float_sums_exact says so.
    ASSERT_TRUE(float_sums_exact(t.k, t.a_bits, t.w_bits));
    std::vector<float> f(static_cast<size_t>(t.m * t.n));
    sgemm(false, false, t.m, t.n, t.k, 1.0f, a.data(), b.data(), 0.0f, f.data());
    EXPECT_EQ(f, want);
#endif
  }
}

TEST(IntGemm, ExtremeLevelsDoNotSaturate) {
  // -128 * -128 pairs are the one case a 16-bit multiply-add could overflow, and 127 * -128
  // the extreme of a u8 x s8 one (B offset by 128 to 255); int32 holds every sum exactly.
  const int64_t m = 6, n = 16, k = 1024;
  const float extremes[] = {-128.0f, 127.0f};
  for (float wa : extremes)
    for (float wb : extremes) {
      SCOPED_TRACE(::testing::Message() << wa << " x " << wb);
      const std::vector<float> a(static_cast<size_t>(m * k), wa), b(static_cast<size_t>(k * n), wb);
      IntGemmScratch scratch;
      std::vector<float> c(static_cast<size_t>(m * n));
      int_gemm(PackedLevels(a.data(), m, k), b.data(), n, n, c.data(), n, scratch);
      for (float v : c) EXPECT_EQ(v, wa * wb * static_cast<float>(k));
    }
}

TEST(IntGemm, WritesIntoStridedSubMatrix) {
  std::mt19937 rng(3);
  const int64_t m = 7, n = 20, k = 9, ldb = 31, ldc = 25;
  const std::vector<float> a = random_levels(m * k, 8, rng);
  std::vector<float> b = random_levels(k * ldb, 8, rng);
  std::vector<float> dense(static_cast<size_t>(k * n));
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j) dense[p * n + j] = b[p * ldb + j];
  const std::vector<float> want = reference(a, dense, m, n, k);
  std::vector<float> c(static_cast<size_t>(m * ldc), 5.0f);
  IntGemmScratch scratch;
  int_gemm(PackedLevels(a.data(), m, k), b.data(), ldb, n, c.data(), ldc, scratch);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j)
      EXPECT_EQ(c[i * ldc + j], j < n ? want[i * n + j] : 5.0f) << i << "," << j;
}

// The epilogue scales each row (channel) with bias or base, keeps the scaled value, then adds and
// activates; row r of C is output plane r.
TEST(IntGemm, EpilogueScalesWithBiasOrBase) {
  std::mt19937 rng(4);
  const int64_t m = 8, n = 45, k = 19;
  const std::vector<float> a = random_levels(m * k, 8, rng), b = random_levels(k * n, 8, rng);
  const std::vector<float> sums = reference(a, b, m, n, k);
  std::vector<float> multiplier(m), bias(m), base(static_cast<size_t>(m * n));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t r = 0; r < m; ++r) multiplier[r] = 1e-3f * (1.0f + u(rng)), bias[r] = u(rng);
  for (float& v : base) v = u(rng);
  const PackedLevels packed(a.data(), m, k);
  IntGemmScratch scratch;
  std::vector<float> with_bias(static_cast<size_t>(m * n)), with_base(static_cast<size_t>(m * n));
  std::vector<float> kept(static_cast<size_t>(m * n)), addend(static_cast<size_t>(m * n));
  for (float& v : addend) v = u(rng);
  Epilogue by_bias{.multiplier = multiplier.data(), .bias = bias.data(), .plane = n, .channels = m};
  int_gemm(packed, b.data(), n, n, with_bias.data(), n, scratch, &by_bias);
  Epilogue by_base = by_bias;
  by_base.bias = nullptr;
  by_base.base = base.data();
  by_base.keep = kept.data();
  by_base.addend = addend.data();
  by_base.activation = Epilogue::Activation::kRelu;
  int_gemm(packed, b.data(), n, n, with_base.data(), n, scratch, &by_base);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < n; ++j) {
      const float s = sums[r * n + j];
      const float scaled = scale_affine(s, multiplier[r], base[r * n + j]);
      ASSERT_EQ(with_bias[r * n + j], scale_affine(s, multiplier[r], bias[r])) << r << "," << j;
      ASSERT_EQ(kept[r * n + j], scaled) << r << "," << j;
      ASSERT_EQ(with_base[r * n + j], relu(scaled + addend[r * n + j])) << r << "," << j;
    }
}

// B given as values and a grid is packed as its levels: the same sums as B's levels, for values
// between levels (ties round to even), past the range and in the columns past the last full tile.
TEST(IntGemm, QuantizesValuesAsItPacks) {
  std::mt19937 rng(5);
  const int64_t m = 7, n = 83, k = 21;
  const std::vector<float> a = random_levels(m * k, 8, rng);
  const UniformQuantizer q(8, -3.0, 3.0);
  std::vector<float> values(static_cast<size_t>(k * n)), levels(values.size());
  std::uniform_real_distribution<float> u(-3.5f, 3.5f);
  for (float& v : values) v = u(rng);
  const auto s = static_cast<float>(q.scale());
  // Ties, and values one ulp either side of them (the packing's multiplication by 1 / s must
  // not decide those), in full tiles and in the tail.
  size_t at = 0;
  for (float h : {0.5f, 1.5f, -2.5f, 126.5f, -127.5f, 3.5f, 7.5f})
    for (float v : {h * s, std::nextafter(h * s, -INFINITY), std::nextafter(h * s, INFINITY)}) {
      values[at] = v;
      values[values.size() - 1 - at] = v;
      at += 37;
    }
  q.levels(values, levels);
  const PackedLevels packed(a.data(), m, k);
  IntGemmScratch scratch;
  std::vector<float> want(static_cast<size_t>(m * n)), got(want.size());
  int_gemm(packed, levels.data(), n, n, want.data(), n, scratch);
  const LevelGrid grid = *q.grid();
  int_gemm(packed, values.data(), n, n, got.data(), n, scratch, nullptr, 0, {&grid});
  EXPECT_EQ(got, want);
  EXPECT_EQ(want, reference(a, levels, m, n, k));
}

// B - M with a grid (a residual x_t - x_k) is packed as UniformQuantizer::levels_of_difference
// maps it: the same sums, at 4 and 8 bits, in full tiles and the tail, rows of B strided.
TEST(IntGemm, QuantizesDifferencesAsItPacks) {
  std::mt19937 rng(6);
  const int64_t m = 9, n = 53, k = 13, ldb = 60;
  const std::vector<float> a = random_levels(m * k, 4, rng);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(k * ldb)), x_k(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = u(rng), x_k[i] = x[i] + 0.1f * u(rng);
  for (size_t i = 0; i < x.size(); i += 7) x_k[i] = x[i];  // zero residuals
  const PackedLevels packed(a.data(), m, k);
  IntGemmScratch scratch;
  for (int bits : {4, 8}) {
    const UniformQuantizer q(bits, -0.08, 0.08);
    std::vector<float> levels(x.size()), want(static_cast<size_t>(m * n)), got(want.size());
    q.levels_of_difference(x, x_k, levels);
    int_gemm(packed, levels.data(), ldb, n, want.data(), n, scratch);
    const LevelGrid grid = *q.grid();
    int_gemm(packed, x.data(), ldb, n, got.data(), n, scratch, nullptr, 0, {&grid, x_k.data()});
    EXPECT_EQ(got, want) << bits << " bits";
  }
  std::vector<float> c(static_cast<size_t>(m * n));
  EXPECT_THROW(int_gemm(packed, x.data(), ldb, n, c.data(), n, scratch, nullptr, 0,
                        {nullptr, x_k.data()}),
               std::invalid_argument);
}

TEST(IntGemm, FloatSumsExactBound) {
  EXPECT_TRUE(float_sums_exact(1024, 8, 8));   // 1024 * 128 * 128 = 2^24
  EXPECT_FALSE(float_sums_exact(1025, 8, 8));
  EXPECT_TRUE(float_sums_exact(1 << 18, 4, 4));
  EXPECT_TRUE(float_sums_exact(1 << 30, 0, 8));  // 0-bit levels are all zero
  EXPECT_FALSE(float_sums_exact(1, 16, 8));      // no integer levels above 8 bits
}

TEST(IntGemm, PackingRejectsValuesThatAreNotLevels_n) {
  const std::vector<float> fractional = {1.0f, 0.5f};
  EXPECT_THROW(PackedLevels(fractional.data(), 1, 2), std::invalid_argument);
  const std::vector<float> too_big = {128.0f};
  EXPECT_THROW(PackedLevels(too_big.data(), 1, 1), std::invalid_argument);
  const std::vector<float> nan = {std::numeric_limits<float>::quiet_NaN()};
  EXPECT_THROW(PackedLevels(nan.data(), 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace resq
