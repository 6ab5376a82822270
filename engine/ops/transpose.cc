#include "engine/ops/transpose.h"

#include <cstring>

#include "engine/error.h"

namespace resq {
namespace {

// Copies x into y where output dim d is input dim perm[d]. Walks the output in order with an
// odometer over the matching input strides; when the last axis stays last, whole rows are
// contiguous and copied at once.
template <class T>
void transpose(const T* x, T* y, const Shape& in_shape, const std::vector<size_t>& perm) {
  const size_t rank = perm.size();
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
  Shape out_dims(rank);
  std::vector<int64_t> strides(rank);  // input stride along each output dim
  for (size_t d = 0; d < rank; ++d) {
    out_dims[d] = in_shape[perm[d]];
    strides[d] = in_strides[perm[d]];
  }
  const int64_t total = shape_numel(out_dims);
  if (total == 0) return;
  const bool rows_contiguous = rank > 0 && perm[rank - 1] == rank - 1;
  const size_t odo_rank = rows_contiguous ? rank - 1 : rank;
  const int64_t row = rows_contiguous ? out_dims[rank - 1] : 1;
  std::vector<int64_t> idx(odo_rank, 0);
  int64_t src = 0;
  for (int64_t dst = 0; dst < total; dst += row) {
    if (rows_contiguous)
      std::memcpy(y + dst, x + src, static_cast<size_t>(row) * sizeof(T));
    else
      y[dst] = x[src];
    for (size_t d = odo_rank; d-- > 0;) {
      src += strides[d];
      if (++idx[d] < out_dims[d]) break;
      src -= strides[d] * out_dims[d];
      idx[d] = 0;
    }
  }
}

class TransposeOp : public Op {
 public:
  explicit TransposeOp(const Attributes& attrs)
      : has_perm_(attrs.has("perm")), perm_attr_(attrs.get_ints("perm", {})) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 1 || !in[0].present)
      throw OpError("expects 1 input, got " + std::to_string(in.size()));
    const Shape& s = in[0].shape;
    const std::vector<size_t> perm = perm_for(s.size());
    Shape out(s.size());
    for (size_t d = 0; d < s.size(); ++d) out[d] = s[perm[d]];
    return std::vector<TensorMeta>{{in[0].dtype, out}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& x = *in[0];
    const std::vector<size_t> perm = perm_for(static_cast<size_t>(x.rank()));
    if (x.dtype() == DType::kFloat32)
      transpose(x.f32(), out[0]->f32(), x.shape(), perm);
    else
      transpose(x.i64(), out[0]->i64(), x.shape(), perm);
  }

 private:
  // The permutation for an input of `rank`; throws unless perm_ is a permutation of 0..rank-1.
  std::vector<size_t> perm_for(size_t rank) const {
    std::vector<size_t> perm(rank);
    if (!has_perm_) {
      for (size_t d = 0; d < rank; ++d) perm[d] = rank - 1 - d;
      return perm;
    }
    std::string listed = "[";
    for (size_t i = 0; i < perm_attr_.size(); ++i) {
      if (i) listed += ',';
      listed += std::to_string(perm_attr_[i]);
    }
    listed += "]";
    if (perm_attr_.size() != rank)
      throw OpError("perm " + listed + " has " + std::to_string(perm_attr_.size()) +
                    " entries but the input has rank " + std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (size_t d = 0; d < rank; ++d) {
      const int64_t p = perm_attr_[d];
      if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)])
        throw OpError("perm " + listed + " is not a permutation of 0.." +
                      std::to_string(static_cast<int64_t>(rank) - 1));
      seen[static_cast<size_t>(p)] = true;
      perm[d] = static_cast<size_t>(p);
    }
    return perm;
  }

  bool has_perm_;
  std::vector<int64_t> perm_attr_;
};

}  // namespace

std::unique_ptr<Op> make_transpose(const Attributes& attrs) {
  return std::make_unique<TransposeOp>(attrs);
}

}  // namespace resq
