// Integer GEMM of quantization levels: C = A * B with A (weights) and B (activations) holding
// integer levels of quantizers of at most 8 bits, summed in int32. Where the CPU has VNNI
// (AVX-512 or AVX-VNNI) as u8 x s8 in groups of 4 (`vpdpbusd`: B's levels offset by 128 into
// u8, the offset's sum taken back out exactly in int32); with AVX2 + FMA as int16 pairs
// (`vpmaddwd`); portable C++ elsewhere. C is written as float, a convolution's per-channel
// rescale applied as the sums leave the registers.
//
// Why the result is bit-exact with the float simulation: every product of two levels is an
// integer of magnitude <= 2^(a-1) * 2^(w-1), so a dot product of length k whose magnitudes sum
// to at most 2^24 is computed exactly by float arithmetic in any order (every partial sum is an
// integer float represents), and exactly by int32. float_sums_exact() says when that holds.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/ops/epilogue.h"
#include "engine/quant/uniform_quantizer.h"

namespace resq {

// True when a length-k dot product of a-bit and w-bit levels cannot leave the integers float
// represents exactly (k * 2^(a-1) * 2^(w-1) <= 2^24). Bits must be in 0..8.
bool float_sums_exact(int64_t k, int a_bits, int w_bits);

// The micro-kernel this build uses, e.g. "u8 x s8 groups of 4 (AVX-512 VNNI)" (for reports:
// the same code runs at very different speeds on each).
const char* int_gemm_kernel();

// A (m x k, row-major float levels in [-128, 127]) packed once into the kernel's layout.
class PackedLevels {
 public:
  PackedLevels() = default;
  // Throws std::invalid_argument for a level outside [-128, 127] or a non-integer value.
  PackedLevels(const float* levels, int64_t m, int64_t k);
  int64_t rows() const { return m_; }
  int64_t depth() const { return k_; }
  // Row block mb (the micro-kernel's rows, int_gemm.cc): one word per depth group and row, and
  // the sums' starting values (minus the B offset times the row's sum; 0 without an offset).
  const int32_t* block(int64_t mb) const;
  const int32_t* start(int64_t mb) const;

 private:
  int64_t m_ = 0, k_ = 0, groups_ = 0;
  std::vector<int32_t> data_;   // [row block][depth group][row]: the group's levels of a row
  std::vector<int32_t> start_;  // [row block][row]
};

// Scratch of one caller (not shared between threads).
struct IntGemmScratch {
  std::vector<int32_t> packed_b;  // [column tile][depth group][columns]
};

// C (m x n, row stride ldc) = A * B, B = k x n float levels in [-128, 127] with row stride ldb,
// or with input.grid, k x n values that are mapped to its levels as B is packed (no levels
// pass); with input.minus too (laid out as B), the values B - minus (a residual x_t - x_k, mapped
// as UniformQuantizer::levels_of_difference does). Overwrites C. An epilogue is applied to each
// part of C as it is written (while in cache), C's element (r, j) being output element
// `offset + r * ldc + j` (its index in base and addend). Throws std::invalid_argument for a
// `minus` without a grid.
void int_gemm(const PackedLevels& a, const float* b, int64_t ldb, int64_t n, float* c, int64_t ldc,
              IntGemmScratch& scratch, const Epilogue* epilogue = nullptr, int64_t offset = 0,
              const LevelMap& input = {});

}  // namespace resq
