#include "engine/ops/matmul.h"

#include <algorithm>
#include <string>

#include "engine/error.h"
#include "engine/ops/gemm.h"

namespace resq {
namespace {

// The operands as batched matrices: batch dims padded with leading 1s to the output's.
struct Plan {
  Shape batch, a_batch, b_batch;
  int64_t m = 1, k = 1, n = 1;
  Shape out;
};

Plan plan(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty())
    throw OpError("operands must have rank >= 1, got " + shape_str(a) + " and " + shape_str(b));
  Plan p;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  p.m = a_vec ? 1 : a[a.size() - 2];
  p.k = a.back();
  const int64_t kb = b_vec ? b[0] : b[b.size() - 2];
  p.n = b_vec ? 1 : b.back();
  if (p.k != kb) throw OpError("inner dimensions differ: " + shape_str(a) + " x " + shape_str(b));
  const size_t ra = a_vec ? 0 : a.size() - 2, rb = b_vec ? 0 : b.size() - 2;
  const size_t r = std::max(ra, rb);
  p.a_batch.assign(r - ra, 1);
  p.a_batch.insert(p.a_batch.end(), a.begin(), a.begin() + static_cast<std::ptrdiff_t>(ra));
  p.b_batch.assign(r - rb, 1);
  p.b_batch.insert(p.b_batch.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(rb));
  for (size_t d = 0; d < r; ++d) {
    const int64_t x = p.a_batch[d], y = p.b_batch[d];
    if (x != y && x != 1 && y != 1)
      throw OpError("batch dimensions do not broadcast: " + shape_str(a) + " x " + shape_str(b));
    p.batch.push_back(x == 1 ? y : x);
  }
  p.out = p.batch;
  if (!a_vec) p.out.push_back(p.m);
  if (!b_vec) p.out.push_back(p.n);
  return p;
}

class MatMulOp : public Op {
 public:
  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 2 || !in[0].present || !in[1].present)
      throw OpError("expects 2 inputs, got " + std::to_string(in.size()));
    for (const TensorMeta& t : in)
      if (t.dtype != DType::kFloat32)
        throw OpError(std::string("inputs must be float32, got ") + dtype_name(t.dtype));
    return std::vector<TensorMeta>{{DType::kFloat32, plan(in[0].shape, in[1].shape).out}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Plan p = plan(in[0]->shape(), in[1]->shape());
    const float *a = in[0]->f32(), *b = in[1]->f32();
    float* y = out[0]->f32();
    const int64_t batches = shape_numel(p.batch);
    if (shape_numel(p.b_batch) == 1) {  // one B for all: fold A's batch into its rows
      sgemm(false, false, batches * p.m, p.n, p.k, 1.0f, a, b, 0.0f, y);
      return;
    }
    const size_t r = p.batch.size();
    std::vector<int64_t> idx(r, 0);
    for (int64_t i = 0; i < batches; ++i) {
      int64_t ia = 0, ib = 0;
      for (size_t d = 0; d < r; ++d) {
        ia = ia * p.a_batch[d] + (p.a_batch[d] == 1 ? 0 : idx[d]);
        ib = ib * p.b_batch[d] + (p.b_batch[d] == 1 ? 0 : idx[d]);
      }
      sgemm(false, false, p.m, p.n, p.k, 1.0f, a + ia * p.m * p.k, b + ib * p.k * p.n, 0.0f,
            y + i * p.m * p.n);
      for (size_t d = r; d-- > 0;) {
        if (++idx[d] < p.batch[d]) break;
        idx[d] = 0;
      }
    }
  }

  int64_t macs(std::span<const TensorMeta> in, std::span<const TensorMeta>) const override {
    const Plan p = plan(in[0].shape, in[1].shape);
    return shape_numel(p.batch) * p.m * p.n * p.k;
  }
};

}  // namespace

std::unique_ptr<Op> make_matmul(const Attributes&) { return std::make_unique<MatMulOp>(); }

}  // namespace resq
