// Integer GEMM of quantization levels: C = A * B with A (weights) and B (activations) holding
// integer levels of quantizers of at most 8 bits, multiplied as int16 and summed in int32
// (AVX2 `vpmaddwd`, or `vpdpwssd` where the CPU has VNNI). C is written as float.
//
// Why the result is bit-exact with the float simulation: every product of two levels is an
// integer of magnitude <= 2^(a-1) * 2^(w-1), so a dot product of length k whose magnitudes sum
// to at most 2^24 is computed exactly by float arithmetic in any order (every partial sum is an
// integer float represents), and exactly by int32. float_sums_exact() says when that holds.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace resq {

// True when a length-k dot product of a-bit and w-bit levels cannot leave the integers float
// represents exactly (k * 2^(a-1) * 2^(w-1) <= 2^24). Bits must be in 0..8.
bool float_sums_exact(int64_t k, int a_bits, int w_bits);

// A (m x k, row-major float levels in [-128, 127]) packed once into the kernel's int16 layout.
class PackedLevels {
 public:
  PackedLevels() = default;
  // Throws std::invalid_argument for a level outside [-128, 127] or a non-integer value.
  PackedLevels(const float* levels, int64_t m, int64_t k);
  int64_t rows() const { return m_; }
  int64_t depth() const { return k_; }
  const int16_t* block(int64_t mb) const;  // rows [mb * kRows, mb * kRows + kRows)

  static constexpr int64_t kRows = 6;  // rows per micro-kernel

 private:
  int64_t m_ = 0, k_ = 0, pairs_ = 0;
  std::vector<int16_t> data_;  // [row block][k pair][kRows][2]
};

// A quantized layer's output from its sum of levels: acc * (s_a * s_w) + bias (or z_k), one
// fused multiply-add, used by the integer kernels' epilogue and the float path alike so that
// equal sums give equal outputs.
inline float scale_affine(float acc, float multiplier, float addend) {
  return std::fma(acc, multiplier, addend);
}

// Applied to each output as it is written (while in cache): c = scale_affine(c, multiplier[row],
// base[row * ldc + col], or bias[row], or 0). base has C's layout and must not overlap C (the
// sums are written before the epilogue reads it).
struct GemmEpilogue {
  const float* multiplier = nullptr;
  const float* bias = nullptr;
  const float* base = nullptr;
};

// Scratch of one caller (not shared between threads).
struct IntGemmScratch {
  std::vector<int16_t> packed_b;
};

// C (m x n, row stride ldc) = A * B, B = k x n float levels in [-128, 127] with row stride ldb.
// Overwrites C; with an epilogue, C then holds its scaled result.
void int_gemm(const PackedLevels& a, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
              IntGemmScratch& scratch, const GemmEpilogue* epilogue = nullptr);

}  // namespace resq
