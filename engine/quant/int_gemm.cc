#include "engine/quant/int_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace resq {
namespace {

constexpr int64_t kRows = PackedLevels::kRows;
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
constexpr int64_t kCols = 32;  // columns per micro-kernel: two vectors of 16 int32
#else
constexpr int64_t kCols = 16;  // columns per micro-kernel: two vectors of 8 int32
#endif
// int16 of packed B per column block: about 128 KB, half of what L2 holds.
constexpr int64_t kPackedBlock = 64 * 1024;

int16_t to_level(float v) {
  if (!(v >= -128.0f && v <= 127.0f) || v != std::nearbyint(v))
    throw std::invalid_argument("integer GEMM: level " + std::to_string(v) +
                                " is not an integer in [-128, 127]");
  return static_cast<int16_t>(v);
}

// Columns [j0, j0 + cols) of B as tiles of int16 pairs, tile t at dst + t * tile: [pair][kCols][2],
// zeros past k and past cols; B's values mapped to the grid's levels first when there is one
// (kGrid). Pair by pair, so that each row of B is read front to back: a stream per row the
// prefetcher follows, not k streams at once.
template <bool kGrid>
void pack_block(const float* b, int64_t ldb, int64_t k, int64_t j0, int64_t cols, int16_t* dst,
                int64_t tile, const LevelGrid& grid) {
  const int64_t pairs = (k + 1) / 2;
  auto level = [&](float v) { return static_cast<int16_t>(kGrid ? grid.level(v) : v); };
#if defined(__AVX2__)
  // Rounding to nearest even (the default MXCSR mode), as std::nearbyint does.
  const __m256 scale = _mm256_set1_ps(grid.scale), lo_level = _mm256_set1_ps(grid.lo),
               hi_level = _mm256_set1_ps(grid.hi);
  auto levels8 = [&](const float* from) {
    __m256 v = _mm256_loadu_ps(from);
    if (kGrid) v = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(v, scale), lo_level), hi_level);
    return _mm256_cvtps_epi32(v);
  };
#endif
  for (int64_t p = 0; p < pairs; ++p)
    for (int64_t t = 0; t * kCols < cols; ++t) {
      const int64_t jt = j0 + t * kCols, tile_cols = std::min(kCols, cols - t * kCols);
      const float* r0 = b + 2 * p * ldb + jt;
      const float* r1 = 2 * p + 1 < k ? r0 + ldb : nullptr;
      int16_t* d = dst + t * tile + p * kCols * 2;
      int64_t j = 0;
#if defined(__AVX2__)
      // Full tiles: 8 columns of both rows into 8 int32 lanes (row 2p low half, 2p + 1 high).
      if (tile_cols == kCols)
        for (; j < kCols; j += 8) {
          const __m256i lo = levels8(r0 + j);
          const __m256i hi = r1 ? levels8(r1 + j) : _mm256_setzero_si256();
          const __m256i pairs16 = _mm256_or_si256(_mm256_and_si256(lo, _mm256_set1_epi32(0xFFFF)),
                                                  _mm256_slli_epi32(hi, 16));
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 2 * j), pairs16);
        }
#endif
      for (; j < tile_cols; ++j) {
        d[2 * j] = level(r0[j]);
        d[2 * j + 1] = r1 ? level(r1[j]) : int16_t{0};
      }
      for (; j < kCols; ++j) d[2 * j] = d[2 * j + 1] = 0;
    }
}

// The rescale of a row block's sums, applied as they leave the registers: row r's outputs are
// scale_affine(sum, mult[r], add[r]) (1 and 0 when the caller scales nothing).
struct RowScale {
  float mult[kRows];
  float add[kRows];
};

#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
// int32 -> float of all 16 lanes. The zero-masked form: GCC 12 reports the plain
// _mm512_cvtepi32_ps's undefined pass-through operand as maybe-uninitialized (a false positive).
inline __m512 to_float(__m512i v) { return _mm512_maskz_cvtepi32_ps(static_cast<__mmask16>(0xFFFF), v); }

// c[r][j] = scale_affine(sum_p a-pair(r, p) . b-pair(p, j), mult[r], add[r]) for the `rows` x
// `cols` corner of a kRows x kCols tile (vpdpwssd: 32 multiply-adds per instruction); full tiles
// are stored straight from the registers.
void micro_kernel(const int16_t* a, const int16_t* b, int64_t pairs, const RowScale& scale, float* c,
                  int64_t ldc, int64_t rows, int64_t cols) {
  __m512i acc[kRows][2];
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_si512();
  for (int64_t p = 0; p < pairs; ++p) {
    const __m512i b0 = _mm512_loadu_si512(b + p * 64);
    const __m512i b1 = _mm512_loadu_si512(b + p * 64 + 32);
    const int16_t* ap = a + p * kRows * 2;
    for (int64_t r = 0; r < kRows; ++r) {
      int32_t pair;
      std::memcpy(&pair, ap + 2 * r, sizeof pair);
      const __m512i av = _mm512_set1_epi32(pair);
      acc[r][0] = _mm512_dpwssd_epi32(acc[r][0], av, b0);
      acc[r][1] = _mm512_dpwssd_epi32(acc[r][1], av, b1);
    }
  }
  auto scaled = [&](int64_t r, int v) {
    return _mm512_fmadd_ps(to_float(acc[r][v]), _mm512_set1_ps(scale.mult[r]), _mm512_set1_ps(scale.add[r]));
  };
  if (rows == kRows && cols == kCols) {
    for (int64_t r = 0; r < kRows; ++r) {
      _mm512_storeu_ps(c + r * ldc, scaled(r, 0));
      _mm512_storeu_ps(c + r * ldc + 16, scaled(r, 1));
    }
    return;
  }
  alignas(64) float tile[kRows][kCols];
  for (int64_t r = 0; r < kRows; ++r) {
    _mm512_store_ps(tile[r], scaled(r, 0));
    _mm512_store_ps(tile[r] + 16, scaled(r, 1));
  }
  for (int64_t r = 0; r < rows; ++r) std::copy(tile[r], tile[r] + cols, c + r * ldc);
}
#elif defined(__AVX2__) && defined(__FMA__)
// acc += pairwise products of a and b, summed per int32 lane.
inline __m256i dot_pairs(__m256i acc, __m256i a, __m256i b) {
#if defined(__AVXVNNI__)
  return _mm256_dpwssd_avx_epi32(acc, a, b);
#elif defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpwssd_epi32(acc, a, b);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

// c[r][j] = scale_affine(sum_p a-pair(r, p) . b-pair(p, j), mult[r], add[r]) for the `rows` x
// `cols` corner of a kRows x kCols tile; full tiles are stored straight from the registers.
void micro_kernel(const int16_t* a, const int16_t* b, int64_t pairs, const RowScale& scale, float* c,
                  int64_t ldc, int64_t rows, int64_t cols) {
  __m256i acc[kRows][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
  for (int64_t p = 0; p < pairs; ++p) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + p * 32));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + p * 32 + 16));
    const int16_t* ap = a + p * kRows * 2;
    for (int64_t r = 0; r < kRows; ++r) {
      int32_t pair;
      std::memcpy(&pair, ap + 2 * r, sizeof pair);
      const __m256i av = _mm256_set1_epi32(pair);
      acc[r][0] = dot_pairs(acc[r][0], av, b0);
      acc[r][1] = dot_pairs(acc[r][1], av, b1);
    }
  }
  auto scaled = [&](int64_t r, int v) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][v]), _mm256_set1_ps(scale.mult[r]),
                           _mm256_set1_ps(scale.add[r]));
  };
  if (rows == kRows && cols == kCols) {
    for (int64_t r = 0; r < kRows; ++r) {
      _mm256_storeu_ps(c + r * ldc, scaled(r, 0));
      _mm256_storeu_ps(c + r * ldc + 8, scaled(r, 1));
    }
    return;
  }
  alignas(32) float tile[kRows][kCols];
  for (int64_t r = 0; r < kRows; ++r) {
    _mm256_store_ps(tile[r], scaled(r, 0));
    _mm256_store_ps(tile[r] + 8, scaled(r, 1));
  }
  for (int64_t r = 0; r < rows; ++r) std::copy(tile[r], tile[r] + cols, c + r * ldc);
}
#else
void micro_kernel(const int16_t* a, const int16_t* b, int64_t pairs, const RowScale& scale, float* c,
                  int64_t ldc, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) {
      int32_t sum = 0;
      for (int64_t p = 0; p < pairs; ++p)
        sum += a[(p * kRows + r) * 2] * b[(p * kCols + j) * 2] +
               a[(p * kRows + r) * 2 + 1] * b[(p * kCols + j) * 2 + 1];
      c[r * ldc + j] = scale_affine(static_cast<float>(sum), scale.mult[r], scale.add[r]);
    }
}
#endif

}  // namespace

bool float_sums_exact(int64_t k, int a_bits, int w_bits) {
  if (a_bits < 0 || a_bits > 8 || w_bits < 0 || w_bits > 8) return false;
  const int64_t a = a_bits ? int64_t{1} << (a_bits - 1) : 0;
  const int64_t w = w_bits ? int64_t{1} << (w_bits - 1) : 0;
  return k * a * w <= (int64_t{1} << 24);
}

PackedLevels::PackedLevels(const float* levels, int64_t m, int64_t k)
    : m_(m), k_(k), pairs_((k + 1) / 2) {
  const int64_t blocks = (m + kRows - 1) / kRows;
  data_.assign(static_cast<size_t>(blocks * pairs_ * kRows * 2), 0);
  for (int64_t r = 0; r < m; ++r)
    for (int64_t i = 0; i < k; ++i) {
      const int64_t mb = r / kRows, p = i / 2;
      data_[static_cast<size_t>(((mb * pairs_ + p) * kRows + r % kRows) * 2 + i % 2)] =
          to_level(levels[r * k + i]);
    }
}

const int16_t* PackedLevels::block(int64_t mb) const {
  return data_.data() + mb * pairs_ * kRows * 2;
}

void int_gemm(const PackedLevels& a, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
              IntGemmScratch& s, const Epilogue* ep, int64_t offset, const LevelGrid* grid) {
  const int64_t m = a.rows(), k = a.depth(), pairs = (k + 1) / 2;
  // The rescale by a per-channel multiplier and bias moves into the micro-kernel when each row
  // of C lies in one channel plane (as for convolutions: ldc = plane); a base (z_k) stays in
  // the epilogue, which then applies the rest.
  const bool in_kernel = ep && ep->multiplier && !ep->base && ldc == ep->plane &&
                         offset % ep->plane + n <= ep->plane;
  Epilogue unscaled;
  if (in_kernel) {
    unscaled = *ep;
    unscaled.multiplier = unscaled.bias = nullptr;
  }
  const Epilogue* rest = in_kernel ? &unscaled : ep;
  const int64_t tile = pairs * kCols * 2;  // int16 of one packed column tile
  const int64_t tiles_per_block = std::max<int64_t>(1, kPackedBlock / std::max<int64_t>(tile, 1));
  for (int64_t j0 = 0; j0 < n; j0 += tiles_per_block * kCols) {
    const int64_t cols = std::min(tiles_per_block * kCols, n - j0);
    const int64_t tiles = (cols + kCols - 1) / kCols;
    s.packed_b.resize(static_cast<size_t>(tiles * tile));
    if (grid)
      pack_block<true>(b, ldb, k, j0, cols, s.packed_b.data(), tile, *grid);
    else
      pack_block<false>(b, ldb, k, j0, cols, s.packed_b.data(), tile, LevelGrid{});
    for (int64_t r0 = 0; r0 < m; r0 += kRows) {
      const int64_t rows = std::min(kRows, m - r0);
      RowScale scale;
      std::fill(std::begin(scale.mult), std::end(scale.mult), 1.0f);
      std::fill(std::begin(scale.add), std::end(scale.add), 0.0f);
      for (int64_t r = 0; in_kernel && r < rows; ++r) {
        const int64_t channel = (offset + (r0 + r) * ldc) / ep->plane % ep->channels;
        scale.mult[r] = ep->multiplier[channel];
        if (ep->bias) scale.add[r] = ep->bias[channel];
      }
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t jt = j0 + t * kCols, tile_cols = std::min(kCols, n - jt);
        micro_kernel(a.block(r0 / kRows), s.packed_b.data() + t * tile, pairs, scale,
                     c + r0 * ldc + jt, ldc, rows, tile_cols);
      }
      // The block's rows are still in cache.
      if (rest && !rest->empty())
        for (int64_t r = r0; r < r0 + rows; ++r) rest->apply(c + r * ldc + j0, offset + r * ldc + j0, cols);
    }
  }
}

}  // namespace resq
