#include "engine/quant/int_gemm.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>
#include <string>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace resq {
namespace {

// The micro-kernel: its register width, and how many depth values one int32 lane sums.
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define RESQ_INT_GEMM_512 1
#define RESQ_INT_GEMM_U8 1
#elif defined(__AVX2__) && defined(__FMA__)
#define RESQ_INT_GEMM_256 1
#if defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__))
#define RESQ_INT_GEMM_U8 1
#endif
#endif

// Rows per micro-kernel: 6 x 2 accumulator registers. AVX2's int16 pairs (no VNNI) need a
// temporary per multiply-add as well, and with 16 registers (no AVX-512VL) 6 rows spilled: 4.
#if defined(RESQ_INT_GEMM_256) && !defined(RESQ_INT_GEMM_U8) && !defined(__AVX512VL__)
constexpr int64_t kRows = 4;
#else
constexpr int64_t kRows = 6;
#endif
#if defined(RESQ_INT_GEMM_512)
constexpr int64_t kCols = 32;  // columns per micro-kernel: two vectors of 16 int32
#else
constexpr int64_t kCols = 16;  // columns per micro-kernel: two vectors of 8 int32
#endif
#if defined(RESQ_INT_GEMM_U8)
// u8 x s8 in groups of 4: B's levels + 128 as u8, A's as s8.
constexpr int64_t kGroup = 4;
constexpr int32_t kOffset = 128;
#else
// int16 pairs.
constexpr int64_t kGroup = 2;
constexpr int32_t kOffset = 0;
#endif
constexpr int kLaneBits = 32 / kGroup;
constexpr uint32_t kLaneMask = (uint32_t{1} << kLaneBits) - 1;
// Words of packed B per column block: about 128 KB, half of what L2 holds.
constexpr int64_t kPackedBlock = 32 * 1024;

int32_t to_level(float v) {
  if (!(v >= -128.0f && v <= 127.0f) || v != std::nearbyint(v))
    throw std::invalid_argument("integer GEMM: level " + std::to_string(v) +
                                " is not an integer in [-128, 127]");
  return static_cast<int32_t>(v);
}

// Lane i of a word holds `level` (two's complement in kLaneBits bits).
uint32_t in_lane(int32_t level, int64_t i) {
  return (static_cast<uint32_t>(level) & kLaneMask) << (kLaneBits * i);
}

// Columns [j0, j0 + cols) of B as tiles of words, tile t at dst + t * tile: [group][kCols], each
// word the group's kGroup levels of a column (+ kOffset), zeros past k and past cols; B's
// values mapped to the grid's levels first when there is one (kGrid), B - M's values when
// there is an M as well (kMinus: a residual x_t - x_k). Group by group, so that each row of B
// is read front to back: a stream per row the prefetcher follows, not k at once.
template <bool kGrid, bool kMinus>
void pack_block(const float* b, const float* minus, int64_t ldb, int64_t k, int64_t j0,
                int64_t cols, int32_t* dst, int64_t tile, const LevelGrid& grid) {
  static_assert(kGrid || !kMinus);
  const int64_t groups = (k + kGroup - 1) / kGroup;
  auto level = [&](float v) { return static_cast<int32_t>(kGrid ? grid.level(v) : v) + kOffset; };
#if defined(RESQ_INT_GEMM_512)
  constexpr int64_t kWidth = 16;  // columns per vector
  // Zero-masked forms with every lane selected: GCC 12 reports the plain forms' undefined
  // pass-through operand as maybe-uninitialized (a false positive), as for to_float below.
  constexpr auto all = static_cast<__mmask16>(0xFFFF);
  // Rounding to nearest even (the default MXCSR mode), as std::nearbyint does.
  const __m512 scale = _mm512_set1_ps(grid.scale), lo_level = _mm512_set1_ps(grid.lo),
               hi_level = _mm512_set1_ps(grid.hi);
  const __m512i offset = _mm512_set1_epi32(kOffset);
  // u8 lanes (this kernel's): levels + 128, in [0, 255] already, so no mask.
  auto levels = [&](const float* from, const float* sub) {
    if (!from) return _mm512_setzero_si512();
    __m512 v = _mm512_loadu_ps(from);
    if (kMinus) v = _mm512_sub_ps(v, _mm512_loadu_ps(sub));
    if (kGrid)
      v = _mm512_maskz_min_ps(all, _mm512_maskz_max_ps(all, _mm512_div_ps(v, scale), lo_level), hi_level);
    return _mm512_add_epi32(_mm512_maskz_cvtps_epi32(all, v), offset);
  };
  auto shift = [&](__m512i v, auto bits) { return _mm512_maskz_slli_epi32(all, v, decltype(bits)::value); };
  auto merge = [](__m512i x, __m512i y) { return _mm512_or_si512(x, y); };
  auto store = [](int32_t* to, __m512i w) { _mm512_storeu_si512(to, w); };
#elif defined(__AVX2__)
  constexpr int64_t kWidth = 8;
  const __m256 scale = _mm256_set1_ps(grid.scale), lo_level = _mm256_set1_ps(grid.lo),
               hi_level = _mm256_set1_ps(grid.hi);
  const __m256i offset = _mm256_set1_epi32(kOffset), mask = _mm256_set1_epi32(kLaneMask);
  auto levels = [&](const float* from, const float* sub) {
    if (!from) return _mm256_setzero_si256();
    __m256 v = _mm256_loadu_ps(from);
    if (kMinus) v = _mm256_sub_ps(v, _mm256_loadu_ps(sub));
    if (kGrid) v = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(v, scale), lo_level), hi_level);
    const __m256i l = _mm256_cvtps_epi32(v);
    // Offset u8 lanes are in [0, 255] already; signed int16 ones need the mask.
    return kOffset ? _mm256_add_epi32(l, offset) : _mm256_and_si256(l, mask);
  };
  auto shift = [](__m256i v, auto bits) { return _mm256_slli_epi32(v, decltype(bits)::value); };
  auto merge = [](__m256i x, __m256i y) { return _mm256_or_si256(x, y); };
  auto store = [](int32_t* to, __m256i w) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(to), w); };
#endif
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t t = 0; t * kCols < cols; ++t) {
      const int64_t jt = j0 + t * kCols, tile_cols = std::min(kCols, cols - t * kCols);
      const float* rows[kGroup];
      const float* minus_rows[kGroup] = {};
      for (int64_t i = 0; i < kGroup; ++i) {
        const bool in_k = kGroup * g + i < k;
        rows[i] = in_k ? b + (kGroup * g + i) * ldb + jt : nullptr;
        if (kMinus && in_k) minus_rows[i] = minus + (kGroup * g + i) * ldb + jt;
      }
      int32_t* d = dst + t * tile + g * kCols;
      int64_t j = 0;
#if defined(__AVX2__)
      // Full tiles: kWidth columns of the group's rows at once, row i in lane i of each word.
      if (tile_cols == kCols)
        for (; j < kCols; j += kWidth) {
          auto lv = [&](int64_t i) {
            return levels(rows[i] ? rows[i] + j : nullptr,
                          minus_rows[i] ? minus_rows[i] + j : nullptr);
          };
          auto w = merge(lv(0), shift(lv(1), std::integral_constant<int, kLaneBits>{}));
          if constexpr (kGroup == 4)
            w = merge(w, merge(shift(lv(2), std::integral_constant<int, 16>{}),
                               shift(lv(3), std::integral_constant<int, 24>{})));
          store(d + j, w);
        }
#endif
      for (; j < tile_cols; ++j) {
        uint32_t w = 0;
        for (int64_t i = 0; i < kGroup; ++i)
          if (rows[i]) w |= in_lane(level(kMinus ? rows[i][j] - minus_rows[i][j] : rows[i][j]), i);
        d[j] = static_cast<int32_t>(w);
      }
      for (; j < kCols; ++j) d[j] = 0;
    }
}

// The rescale of a row block's sums, applied as they leave the registers: row r's outputs are
// scale_affine(sum, mult[r], add[r]) (1 and 0 when the caller scales nothing).
struct RowScale {
  float mult[kRows];
  float add[kRows];
};

// The `rows` x `cols` corner of a tile of sums (as floats) to C, rescaled: with a base (laid out
// as C, z_k) its element is the addend, else the row's.
[[maybe_unused]] void store_corner(const float (*tile)[kCols], const RowScale& scale,
                                   const float* base, float* c, int64_t ldc, int64_t rows,
                                   int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j)
      c[r * ldc + j] =
          scale_affine(tile[r][j], scale.mult[r], base ? base[r * ldc + j] : scale.add[r]);
}

#if defined(RESQ_INT_GEMM_512)
// int32 -> float of all 16 lanes. The zero-masked form: GCC 12 reports the plain
// _mm512_cvtepi32_ps's undefined pass-through operand as maybe-uninitialized (a false positive).
inline __m512 to_float(__m512i v) { return _mm512_maskz_cvtepi32_ps(static_cast<__mmask16>(0xFFFF), v); }

// c[r][j] = scale_affine(start[r] + sum_g a-word(g, r) . b-word(g, j), mult[r], add[r]) for the
// `rows` x `cols` corner of a kRows x kCols tile (vpdpbusd: 64 multiply-adds per instruction);
// full tiles are stored straight from the registers.
void micro_kernel(const int32_t* a, const int32_t* start, const int32_t* b, int64_t groups,
                  const RowScale& scale, const float* base, float* c, int64_t ldc, int64_t rows,
                  int64_t cols) {
  __m512i acc[kRows][2];
  for (int64_t r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm512_set1_epi32(start[r]);
  for (int64_t g = 0; g < groups; ++g) {
    const __m512i b0 = _mm512_loadu_si512(b + g * kCols);
    const __m512i b1 = _mm512_loadu_si512(b + g * kCols + 16);
    for (int64_t r = 0; r < kRows; ++r) {
      const __m512i av = _mm512_set1_epi32(a[g * kRows + r]);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, av);
      acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, av);
    }
  }
  if (rows == kRows && cols == kCols) {
    for (int64_t r = 0; r < kRows; ++r)
      for (int v = 0; v < 2; ++v) {
        const __m512 add =
            base ? _mm512_loadu_ps(base + r * ldc + v * 16) : _mm512_set1_ps(scale.add[r]);
        _mm512_storeu_ps(c + r * ldc + v * 16,
                         _mm512_fmadd_ps(to_float(acc[r][v]), _mm512_set1_ps(scale.mult[r]), add));
      }
    return;
  }
  alignas(64) float tile[kRows][kCols];
  for (int64_t r = 0; r < kRows; ++r) {
    _mm512_store_ps(tile[r], to_float(acc[r][0]));
    _mm512_store_ps(tile[r] + 16, to_float(acc[r][1]));
  }
  store_corner(tile, scale, base, c, ldc, rows, cols);
}
#elif defined(RESQ_INT_GEMM_256)
// acc += the lane-wise dot products of b's and a's words.
inline __m256i dot_words(__m256i acc, __m256i b, __m256i a) {
#if defined(RESQ_INT_GEMM_U8) && defined(__AVXVNNI__)
  return _mm256_dpbusd_avx_epi32(acc, b, a);
#elif defined(RESQ_INT_GEMM_U8)
  return _mm256_dpbusd_epi32(acc, b, a);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(b, a));
#endif
}

// c[r][j] = scale_affine(start[r] + sum_g a-word(g, r) . b-word(g, j), mult[r], add[r]) for the
// `rows` x `cols` corner of a kRows x kCols tile; full tiles are stored straight from the
// registers.
void micro_kernel(const int32_t* a, const int32_t* start, const int32_t* b, int64_t groups,
                  const RowScale& scale, const float* base, float* c, int64_t ldc, int64_t rows,
                  int64_t cols) {
  __m256i acc[kRows][2];
  for (int64_t r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm256_set1_epi32(start[r]);
  for (int64_t g = 0; g < groups; ++g) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + g * kCols));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + g * kCols + 8));
    for (int64_t r = 0; r < kRows; ++r) {
      const __m256i av = _mm256_set1_epi32(a[g * kRows + r]);
      acc[r][0] = dot_words(acc[r][0], b0, av);
      acc[r][1] = dot_words(acc[r][1], b1, av);
    }
  }
  if (rows == kRows && cols == kCols) {
    for (int64_t r = 0; r < kRows; ++r)
      for (int v = 0; v < 2; ++v) {
        const __m256 add =
            base ? _mm256_loadu_ps(base + r * ldc + v * 8) : _mm256_set1_ps(scale.add[r]);
        _mm256_storeu_ps(c + r * ldc + v * 8,
                         _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][v]),
                                         _mm256_set1_ps(scale.mult[r]), add));
      }
    return;
  }
  alignas(32) float tile[kRows][kCols];
  for (int64_t r = 0; r < kRows; ++r) {
    _mm256_store_ps(tile[r], _mm256_cvtepi32_ps(acc[r][0]));
    _mm256_store_ps(tile[r] + 8, _mm256_cvtepi32_ps(acc[r][1]));
  }
  store_corner(tile, scale, base, c, ldc, rows, cols);
}
#else
// Lane i of a word: a signed level, or with is_signed false the unsigned value of an offset lane.
int32_t lane(int32_t word, int64_t i, bool is_signed) {
  const uint32_t v = (static_cast<uint32_t>(word) >> (kLaneBits * i)) & kLaneMask;
  const uint32_t sign = uint32_t{1} << (kLaneBits - 1);
  return is_signed ? static_cast<int32_t>(v ^ sign) - static_cast<int32_t>(sign) : static_cast<int32_t>(v);
}

void micro_kernel(const int32_t* a, const int32_t* start, const int32_t* b, int64_t groups,
                  const RowScale& scale, const float* base, float* c, int64_t ldc, int64_t rows,
                  int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) {
      int32_t sum = start[r];
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t i = 0; i < kGroup; ++i)
          sum += lane(a[g * kRows + r], i, true) * lane(b[g * kCols + j], i, kOffset == 0);
      c[r * ldc + j] = scale_affine(static_cast<float>(sum), scale.mult[r],
                                    base ? base[r * ldc + j] : scale.add[r]);
    }
}
#endif

}  // namespace

const char* int_gemm_kernel() {
#if defined(RESQ_INT_GEMM_512)
  return "u8 x s8 groups of 4 (AVX-512 VNNI)";
#elif defined(RESQ_INT_GEMM_U8)
  return "u8 x s8 groups of 4 (AVX-VNNI, 256-bit)";
#elif defined(RESQ_INT_GEMM_256)
  return "int16 pairs (AVX2)";
#else
  return "portable C++";
#endif
}

bool float_sums_exact(int64_t k, int a_bits, int w_bits) {
  if (a_bits < 0 || a_bits > 8 || w_bits < 0 || w_bits > 8) return false;
  const int64_t a = a_bits ? int64_t{1} << (a_bits - 1) : 0;
  const int64_t w = w_bits ? int64_t{1} << (w_bits - 1) : 0;
  return k * a * w <= (int64_t{1} << 24);
}

PackedLevels::PackedLevels(const float* levels, int64_t m, int64_t k)
    : m_(m), k_(k), groups_((k + kGroup - 1) / kGroup) {
  const int64_t blocks = (m + kRows - 1) / kRows;
  data_.assign(static_cast<size_t>(blocks * groups_ * kRows), 0);
  start_.assign(static_cast<size_t>(blocks * kRows), 0);
  for (int64_t r = 0; r < m; ++r) {
    const int64_t mb = r / kRows;
    int32_t sum = 0;
    for (int64_t i = 0; i < k; ++i) {
      const int32_t v = to_level(levels[r * k + i]);
      auto& word = data_[static_cast<size_t>((mb * groups_ + i / kGroup) * kRows + r % kRows)];
      word = static_cast<int32_t>(static_cast<uint32_t>(word) | in_lane(v, i % kGroup));
      sum += v;
    }
    // B's offset adds kOffset * sum to row r's sums; starting from minus that takes it out
    // (exactly: int32 arithmetic wraps, and the true sum fits).
    start_[static_cast<size_t>(r)] = -kOffset * sum;
  }
}

const int32_t* PackedLevels::block(int64_t mb) const { return data_.data() + mb * groups_ * kRows; }

const int32_t* PackedLevels::start(int64_t mb) const { return start_.data() + mb * kRows; }

void int_gemm(const PackedLevels& a, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
              IntGemmScratch& s, const Epilogue* ep, int64_t offset, const LevelMap& input) {
  const LevelGrid* grid = input.grid;
  const float* minus = input.minus;
  if (minus && !grid) throw std::invalid_argument("integer GEMM: a B - M difference needs a grid");
  const int64_t m = a.rows(), k = a.depth(), groups = (k + kGroup - 1) / kGroup;
  // The rescale by a per-channel multiplier and bias or base (z_k) moves into the micro-kernel
  // when each row of C lies in one channel plane (as for convolutions: ldc = plane); the
  // epilogue then applies the rest.
  const bool in_kernel = ep && ep->multiplier && ldc == ep->plane &&
                         offset % ep->plane + n <= ep->plane;
  Epilogue unscaled;
  if (in_kernel) {
    unscaled = *ep;
    unscaled.multiplier = unscaled.bias = unscaled.base = nullptr;
  }
  const float* base = in_kernel && ep->base ? ep->base + offset : nullptr;  // laid out as C
  const Epilogue* rest = in_kernel ? &unscaled : ep;
  const int64_t tile = groups * kCols;  // words of one packed column tile
  const int64_t tiles_per_block = std::max<int64_t>(1, kPackedBlock / std::max<int64_t>(tile, 1));
  for (int64_t j0 = 0; j0 < n; j0 += tiles_per_block * kCols) {
    const int64_t cols = std::min(tiles_per_block * kCols, n - j0);
    const int64_t tiles = (cols + kCols - 1) / kCols;
    s.packed_b.resize(static_cast<size_t>(tiles * tile));
    if (minus)
      pack_block<true, true>(b, minus, ldb, k, j0, cols, s.packed_b.data(), tile, *grid);
    else if (grid)
      pack_block<true, false>(b, nullptr, ldb, k, j0, cols, s.packed_b.data(), tile, *grid);
    else
      pack_block<false, false>(b, nullptr, ldb, k, j0, cols, s.packed_b.data(), tile, LevelGrid{});
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
        micro_kernel(a.block(r0 / kRows), a.start(r0 / kRows), s.packed_b.data() + t * tile, groups,
                     scale, base ? base + r0 * ldc + jt : nullptr, c + r0 * ldc + jt, ldc, rows,
                     tile_cols);
      }
      // The block's rows are still in cache.
      if (rest && !rest->empty())
        for (int64_t r = r0; r < r0 + rows; ++r) rest->apply(c + r * ldc + j0, offset + r * ldc + j0, cols);
    }
  }
}

}  // namespace resq
