#pragma once

#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace resq {

// One vector register of floats, as wide as the build's widest float SIMD.
#if defined(__AVX512F__)
inline constexpr int kLanes = 16;
#elif defined(__AVX__)
inline constexpr int kLanes = 8;
#else
inline constexpr int kLanes = 4;
#endif
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

// a * b + c rounded once where the CPU has FMA. Spelled out because GCC's Zen tuning leaves
// some multiply-add chains as a multiply and an add, and which ones depends on the loop's shape:
// the same sum would round differently in a block and in a tail, or in two callers.
inline Vec mul_add(float a, Vec b, Vec c) {
#if defined(__FMA__) && defined(__AVX512F__)
  return _mm512_fmadd_ps(_mm512_set1_ps(a), b, c);
#elif defined(__FMA__)
  return _mm256_fmadd_ps(_mm256_set1_ps(a), b, c);
#else
  return a * b + c;
#endif
}
// Bit i set when lane i of v is >= t (NaN lanes: never). For "> t", t's next float up.
inline unsigned lanes_at_least(Vec v, float t) {
#if defined(__AVX512F__)
  return _mm512_cmp_ps_mask(v, _mm512_set1_ps(t), _CMP_GE_OQ);
#elif defined(__AVX__)
  return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(t), _CMP_GE_OQ)));
#else
  return static_cast<unsigned>(_mm_movemask_ps(_mm_cmpge_ps(v, _mm_set1_ps(t))));
#endif
}
// Writes the lanes of v whose bit is set in `mask`, in lane order, from p on, and returns how
// many: a whole vector is stored, so up to kLanes - 1 floats after them are overwritten.
inline int store_compressed(float* p, Vec v, unsigned mask) {
#if defined(__AVX512F__)
  // Compressed in a register, then stored: the compressing store is microcoded on AMD Zen 4.
  store(p, _mm512_maskz_compress_ps(static_cast<__mmask16>(mask), v));
#elif defined(__AVX2__) && defined(__BMI2__)
  // The kept lanes' indices, a byte each, packed to the front: the permutation that compresses.
  const uint64_t keep = _pdep_u64(mask, 0x0101010101010101ULL) * 0xFF;
  const uint64_t order = _pext_u64(0x0706050403020100ULL, keep);
  const __m256i index = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(order)));
  store(p, _mm256_permutevar8x32_ps(v, index));
#else
  int n = 0;
  for (unsigned m = mask; m; m &= m - 1) p[n++] = v[std::countr_zero(m)];
#endif
  return std::popcount(mask);
}
inline float mul_add(float a, float b, float c) {
#if defined(__FMA__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace resq
