#include "engine/ops/concat.h"

#include <cstring>

#include "engine/error.h"

namespace resq {
namespace {

class ConcatOp : public Op {
 public:
  explicit ConcatOp(const Attributes& attrs) : axis_(attrs.get_int("axis")) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.empty()) throw OpError("expects at least 1 input, got 0");
    for (size_t i = 0; i < in.size(); ++i)
      if (!in[i].present) throw OpError("input " + std::to_string(i) + " is absent");
    const Shape& first = in[0].shape;
    const auto rank = static_cast<int64_t>(first.size());
    if (rank == 0) throw OpError("cannot concatenate scalars (input 0 has rank 0)");
    if (axis_ < -rank || axis_ >= rank)
      throw OpError("axis " + std::to_string(axis_) + " is out of range for rank " +
                    std::to_string(rank));
    const auto axis = static_cast<size_t>(axis_ < 0 ? axis_ + rank : axis_);
    Shape out = first;
    out[axis] = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      const Shape& s = in[i].shape;
      if (in[i].dtype != in[0].dtype)
        throw OpError("input " + std::to_string(i) + " is " + dtype_name(in[i].dtype) +
                      " but input 0 is " + dtype_name(in[0].dtype));
      if (s.size() != first.size())
        throw OpError("input " + std::to_string(i) + " has shape " + shape_str(s) +
                      ", rank differs from input 0 shape " + shape_str(first));
      for (size_t d = 0; d < s.size(); ++d)
        if (d != axis && s[d] != first[d])
          throw OpError("input " + std::to_string(i) + " has shape " + shape_str(s) +
                        ", incompatible with input 0 shape " + shape_str(first) + " off axis " +
                        std::to_string(axis));
      out[axis] += s[axis];
    }
    return std::vector<TensorMeta>{{in[0].dtype, out}};
  }

  // The output is `outer` blocks, each the inputs' [axis..] slabs one after the other.
  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    Tensor& y = *out[0];
    const int rank = y.rank();
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d) outer *= y.dim(d);
    // Raw bytes: the copy is the same for float32 and int64.
    auto* dst = reinterpret_cast<std::byte*>(y.f32());
    const size_t out_block = y.numel() == 0 ? 0 : y.bytes() / static_cast<size_t>(outer);
    size_t dst_off = 0;
    for (const Tensor* t : in) {
      const size_t block = t->numel() == 0 ? 0 : t->bytes() / static_cast<size_t>(outer);
      const auto* src = reinterpret_cast<const std::byte*>(t->f32());
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + static_cast<size_t>(o) * out_block + dst_off,
                    src + static_cast<size_t>(o) * block, block);
      dst_off += block;
    }
  }

 private:
  int64_t axis_;
};

}  // namespace

std::unique_ptr<Op> make_concat(const Attributes& attrs) {
  return std::make_unique<ConcatOp>(attrs);
}

}  // namespace resq
