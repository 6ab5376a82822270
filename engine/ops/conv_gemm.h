// The float GEMM of convolutions: C[m x n] = bias[i] + A[m x k] * B[k x n], row-major with row
// strides lda, ldb, ldc, where m (output channels) is small and n (pixels) large. B is read where
// it lies (im2col columns), or, when its rows are a multiple of 2 KB apart (input planes, which
// collide in L1), one column block at a time is copied together first, instead of all of B being
// packed as Eigen's GEMM does for every call; blocks of C (8 rows x 32 columns under AVX-512,
// 6 x 16 under AVX2) start at the bias and stay in registers over all of k, so C is written once
// and never read.
#pragma once

#include <cstdint>

#include "engine/ops/epilogue.h"

namespace resq {

// bias: m values, or nullptr for none. With `post` (gemm_fusable()), each block of C gets the
// addend (`addend`: C's layout, row stride ldc; nullptr for none) and post's activation before
// it is stored, the results of Epilogue::apply without another pass over C.
void conv_gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, const float* bias, float* c, int64_t ldc,
               const Epilogue* post = nullptr, const float* addend = nullptr);

// The same with B's row p at rows[p] + offset: a conv's kernel taps on the phase planes of
// its input channels (an im2col matrix that is never written).
void conv_gemm_rows(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                    const float* const* rows, int64_t offset, const float* bias, float* c,
                    int64_t ldc, const Epilogue* post = nullptr, const float* addend = nullptr);

}  // namespace resq
