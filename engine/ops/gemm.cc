#include "engine/ops/gemm.h"

#include <algorithm>
#include <string>

#include "engine/error.h"

// GCC 12 reports false (maybe-)uninitialized warnings inside Eigen's AVX-512 kernels.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Core>
#pragma GCC diagnostic pop

namespace resq {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ColMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

template <class A, class B, class C>
void product(const A& a, const B& b, float alpha, float beta, C& c) {
  if (beta == 0.0f) {
    if (alpha == 1.0f)
      c.noalias() = a * b;
    else
      c.noalias() = alpha * a * b;
  } else {
    if (beta != 1.0f) c *= beta;
    if (alpha == 1.0f)
      c.noalias() += a * b;
    else
      c.noalias() += alpha * a * b;
  }
}

class GemmOp : public Op {
 public:
  explicit GemmOp(const Attributes& attrs)
      : trans_a_(attrs.get_flag("transA")),
        trans_b_(attrs.get_flag("transB")),
        alpha_(attrs.get_float("alpha", 1.0f)),
        beta_(attrs.get_float("beta", 1.0f)) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() < 2 || in.size() > 3 || !in[0].present || !in[1].present)
      throw OpError("expects inputs A, B and optional C, got " + std::to_string(in.size()) +
                    " inputs");
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i].present && in[i].dtype != DType::kFloat32)
        throw OpError("input " + std::to_string(i) + " must be float32, got " +
                      dtype_name(in[i].dtype));
    const Shape &a = in[0].shape, &b = in[1].shape;
    if (a.size() != 2 || b.size() != 2)
      throw OpError("A and B must be 2-D, got " + shape_str(a) + " and " + shape_str(b));
    const int64_t m = a[trans_a_ ? 1 : 0], k = a[trans_a_ ? 0 : 1];
    const int64_t kb = b[trans_b_ ? 1 : 0], n = b[trans_b_ ? 0 : 1];
    if (k != kb)
      throw OpError("inner dimensions differ: op(A) is " + std::to_string(m) + "x" +
                    std::to_string(k) + ", op(B) is " + std::to_string(kb) + "x" +
                    std::to_string(n));
    if (in.size() == 3 && in[2].present) {
      const Shape& c = in[2].shape;
      const bool ok = c.size() <= 2 && (c.size() < 2 || c[0] == 1 || c[0] == m) &&
                      (c.empty() || c.back() == 1 || c.back() == n);
      if (!ok)
        throw OpError("C of shape " + shape_str(c) + " does not broadcast to " + std::to_string(m) +
                      "x" + std::to_string(n));
    }
    return std::vector<TensorMeta>{{DType::kFloat32, {m, n}}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor &a = *in[0], &b = *in[1];
    Tensor& y = *out[0];
    const int64_t m = y.dim(0), n = y.dim(1), k = a.dim(trans_a_ ? 0 : 1);
    const Tensor* c = in.size() == 3 ? in[2] : nullptr;
    float beta = 0.0f;
    if (c && beta_ != 0.0f) {
      beta = beta_;
      const int64_t rs = c->rank() == 2 && c->dim(0) == m ? c->dim(1) : 0;  // row stride
      const int64_t cs = c->rank() >= 1 && c->shape().back() == n ? 1 : 0;  // column stride
      float* yp = y.f32();
      const float* cp = c->f32();
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) yp[i * n + j] = cp[i * rs + j * cs];
    }
    sgemm(trans_a_, trans_b_, m, n, k, alpha_, a.f32(), b.f32(), beta, y.f32());
  }

  int64_t macs(std::span<const TensorMeta> in, std::span<const TensorMeta> out) const override {
    return out[0].shape[0] * out[0].shape[1] * in[0].shape[trans_a_ ? 0 : 1];
  }

 private:
  bool trans_a_, trans_b_;
  float alpha_, beta_;
};

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           const float* b, float beta, float* c) {
  sgemm(trans_a, trans_b, m, n, k, alpha, a, trans_a ? m : k, b, trans_b ? k : n, beta, c, n);
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<RowMat, 0, Stride> cm(c, m, n, Stride(ldc));
  if (k == 0) {
    if (beta == 0.0f)
      cm.setZero();
    else
      cm *= beta;
    return;
  }
  // A stored k x m row-major is the m x k matrix op(A) in column-major order.
  using RowA = Eigen::Map<const RowMat, 0, Stride>;
  using ColA = Eigen::Map<const ColMat, 0, Stride>;
  if (!trans_a && !trans_b)
    product(RowA(a, m, k, Stride(lda)), RowA(b, k, n, Stride(ldb)), alpha, beta, cm);
  else if (!trans_a)
    product(RowA(a, m, k, Stride(lda)), ColA(b, k, n, Stride(ldb)), alpha, beta, cm);
  else if (!trans_b)
    product(ColA(a, m, k, Stride(lda)), RowA(b, k, n, Stride(ldb)), alpha, beta, cm);
  else
    product(ColA(a, m, k, Stride(lda)), ColA(b, k, n, Stride(ldb)), alpha, beta, cm);
}

std::unique_ptr<Op> make_gemm(const Attributes& attrs) { return std::make_unique<GemmOp>(attrs); }

}  // namespace resq
