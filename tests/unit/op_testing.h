// Helpers shared by the op tests: running one op through its factory like the executor does,
// deterministic data, N-d index loops.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "engine/op_registry.h"

namespace resq::testing {

inline Attributes attrs(std::initializer_list<std::pair<std::string, AttrValue>> list) {
  Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

using Ints = std::vector<int64_t>;

inline Tensor floats(Shape s, std::vector<float> v) { return Tensor::from_floats(std::move(s), v); }
inline std::vector<float> values(const Tensor& t) { return {t.floats().begin(), t.floats().end()}; }

// infer() then run(), like the executor does. Absent optional inputs are nullptr.
inline std::vector<Tensor> run_op(const std::string& type, const Attributes& a,
                                  const std::vector<const Tensor*>& in) {
  OpFactory factory = find_op(type);
  if (!factory) throw std::logic_error("no op " + type);
  auto op = factory(a);
  std::vector<TensorMeta> metas;
  for (const Tensor* t : in)
    metas.push_back(t ? TensorMeta{t->dtype(), t->shape(), t}
                      : TensorMeta{DType::kFloat32, {}, nullptr, false});
  auto out_meta = op->infer(metas);
  if (!out_meta) throw std::logic_error("infer returned nullopt");
  std::vector<Tensor> out;
  for (const TensorMeta& m : *out_meta) out.emplace_back(m.shape, m.dtype);
  std::vector<Tensor*> ptrs;
  for (Tensor& t : out) ptrs.push_back(&t);
  op->run(in, ptrs);
  return out;
}

// macs() for the load-time shapes of `in`.
inline int64_t op_macs(const std::string& type, const Attributes& a,
                       const std::vector<const Tensor*>& in) {
  auto op = find_op(type)(a);
  std::vector<TensorMeta> metas;
  for (const Tensor* t : in)
    metas.push_back(t ? TensorMeta{t->dtype(), t->shape(), t}
                      : TensorMeta{DType::kFloat32, {}, nullptr, false});
  auto out = op->infer(metas);
  return op->macs(metas, *out);
}

// Deterministic pseudo-random values in [-1, 1).
inline Tensor random_tensor(const Shape& s, uint32_t seed) {
  Tensor t(s);
  uint32_t state = seed * 2654435761u + 12345u;
  for (float& v : t.floats()) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8) / static_cast<float>(1 << 23) - 1.0f;
  }
  return t;
}

inline void expect_near(const Tensor& got, const Tensor& want, float tol = 1e-4f) {
  ASSERT_EQ(shape_str(got.shape()), shape_str(want.shape()));
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.f32()[i], want.f32()[i], tol * (1.0f + std::abs(want.f32()[i])))
        << "at flat index " << i;
}

// Calls f(idx) for every multi-index of shape s in row-major order.
template <class F>
void for_each_index(const Shape& s, F&& f) {
  if (shape_numel(s) == 0) return;
  std::vector<int64_t> idx(s.size(), 0);
  while (true) {
    f(idx);
    size_t d = s.size();
    while (d > 0) {
      if (++idx[d - 1] < s[d - 1]) break;
      idx[d - 1] = 0;
      --d;
    }
    if (d == 0) return;
  }
}

inline int64_t flat_index(const Shape& s, const std::vector<int64_t>& idx) {
  int64_t f = 0;
  for (size_t d = 0; d < s.size(); ++d) f = f * s[d] + idx[d];
  return f;
}

}  // namespace resq::testing
