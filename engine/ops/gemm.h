// Gemm: Y = alpha * op(A) * op(B) + beta * C, and the shared float GEMM kernel (Eigen) that
// Conv, ConvTranspose and MatMul use.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/op.h"

namespace resq {

std::unique_ptr<Op> make_gemm(const Attributes& attrs);

// Row-major C[m x n] = alpha * op(A) * op(B) + beta * C, op(A) m x k, op(B) k x n. A is stored
// m x k (k x m when trans_a), B k x n (n x k when trans_b), all contiguous. beta == 0 ignores
// C's previous contents (NaN included).
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           const float* b, float beta, float* c);
// The same on sub-matrices: lda, ldb, ldc are the row strides of A, B and C as stored.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace resq
