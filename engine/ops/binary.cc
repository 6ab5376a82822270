#include "engine/ops/binary.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "engine/error.h"
#include "engine/ops/broadcast.h"

namespace resq {
namespace {

// Applies f over one broadcast plan. Inner strides are 0 or 1 (see BroadcastPlan), so each
// row is a plain loop the compiler can vectorize; the scalar side is hoisted out.
template <class T, class F>
void apply(const BroadcastPlan& p, const T* a, const T* b, T* y, F f) {
  const int64_t n = p.dims.back();
  const bool a_steps = p.a_strides.back() != 0, b_steps = p.b_strides.back() != 0;
  for_each_row(p, [&](int64_t y_off, int64_t a_off, int64_t b_off) {
    T* dst = y + y_off;
    const T* pa = a + a_off;
    const T* pb = b + b_off;
    if (a_steps && b_steps) {
      for (int64_t i = 0; i < n; ++i) dst[i] = f(pa[i], pb[i]);
    } else if (a_steps) {
      const T bv = *pb;
      for (int64_t i = 0; i < n; ++i) dst[i] = f(pa[i], bv);
    } else if (b_steps) {
      const T av = *pa;
      for (int64_t i = 0; i < n; ++i) dst[i] = f(av, pb[i]);
    } else {
      const T v = f(*pa, *pb);
      for (int64_t i = 0; i < n; ++i) dst[i] = v;
    }
  });
}

enum class Kind { kAdd, kSub, kMul, kDiv };

class BinaryOp : public Op {
 public:
  explicit BinaryOp(Kind kind) : kind_(kind) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 2 || !in[0].present || !in[1].present)
      throw OpError("expects 2 inputs A and B, got " + std::to_string(in.size()));
    if (in[0].dtype != in[1].dtype)
      throw OpError(std::string("A is ") + dtype_name(in[0].dtype) + " but B is " +
                    dtype_name(in[1].dtype));
    return std::vector<TensorMeta>{{in[0].dtype, broadcast_shape(in[0].shape, in[1].shape)}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& a = *in[0];
    const Tensor& b = *in[1];
    Tensor& y = *out[0];
    const BroadcastPlan plan = plan_broadcast(a.shape(), b.shape(), y.shape());
    if (a.dtype() == DType::kFloat32)
      run_typed(plan, a.f32(), b.f32(), y.f32());
    else
      run_int(plan, a, b, y);
  }

 private:
  template <class T>
  void run_typed(const BroadcastPlan& plan, const T* a, const T* b, T* y) const {
    switch (kind_) {
      case Kind::kAdd:
        apply(plan, a, b, y, [](T u, T v) { return u + v; });
        break;
      case Kind::kSub:
        apply(plan, a, b, y, [](T u, T v) { return u - v; });
        break;
      case Kind::kMul:
        apply(plan, a, b, y, [](T u, T v) { return u * v; });
        break;
      case Kind::kDiv:
        apply(plan, a, b, y, [](T u, T v) { return u / v; });
        break;
    }
  }

  // Integer arithmetic wraps (computed unsigned) instead of overflowing; division by zero and
  // INT64_MIN / -1 would trap, so they are rejected first (the latter conservatively).
  void run_int(const BroadcastPlan& plan, const Tensor& a, const Tensor& b, Tensor& y) const {
    using U = uint64_t;
    const int64_t* pa = a.i64();
    const int64_t* pb = b.i64();
    int64_t* py = y.i64();
    switch (kind_) {
      case Kind::kAdd:
        apply(plan, pa, pb, py, [](int64_t u, int64_t v) { return int64_t(U(u) + U(v)); });
        break;
      case Kind::kSub:
        apply(plan, pa, pb, py, [](int64_t u, int64_t v) { return int64_t(U(u) - U(v)); });
        break;
      case Kind::kMul:
        apply(plan, pa, pb, py, [](int64_t u, int64_t v) { return int64_t(U(u) * U(v)); });
        break;
      case Kind::kDiv: {
        if (std::ranges::find(b.ints(), 0) != b.ints().end())
          throw OpError("integer division by zero in B");
        if (std::ranges::find(b.ints(), -1) != b.ints().end() &&
            std::ranges::find(a.ints(), std::numeric_limits<int64_t>::min()) != a.ints().end())
          throw OpError("integer division overflows (INT64_MIN / -1)");
        apply(plan, pa, pb, py, [](int64_t u, int64_t v) { return u / v; });
        break;
      }
    }
  }

  Kind kind_;
};

}  // namespace

std::unique_ptr<Op> make_add(const Attributes&) { return std::make_unique<BinaryOp>(Kind::kAdd); }
std::unique_ptr<Op> make_sub(const Attributes&) { return std::make_unique<BinaryOp>(Kind::kSub); }
std::unique_ptr<Op> make_mul(const Attributes&) { return std::make_unique<BinaryOp>(Kind::kMul); }
std::unique_ptr<Op> make_div(const Attributes&) { return std::make_unique<BinaryOp>(Kind::kDiv); }

}  // namespace resq
