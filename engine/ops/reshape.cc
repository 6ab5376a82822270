#include "engine/ops/reshape.h"

#include <cstring>

#include "engine/error.h"

namespace resq {
namespace {

void copy_data(const Tensor& x, Tensor& y) {
  if (x.bytes()) std::memcpy(y.f32(), x.f32(), x.bytes());
}

// Reshape(data, shape): 0 copies the input dim (unless allowzero), -1 is inferred.
class ReshapeOp : public Op {
 public:
  explicit ReshapeOp(const Attributes& attrs) : allowzero_(attrs.get_flag("allowzero")) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 2 || !in[0].present || !in[1].present)
      throw OpError("expects 2 inputs data and shape, got " + std::to_string(in.size()));
    if (in[1].dtype != DType::kInt64)
      throw OpError(std::string("shape must be int64, got ") + dtype_name(in[1].dtype));
    if (in[1].shape.size() != 1)
      throw OpError("shape must be 1-D, got shape " + shape_str(in[1].shape));
    if (!in[1].value) return std::nullopt;
    const Shape& data = in[0].shape;
    const auto requested = in[1].value->ints();
    Shape out(requested.begin(), requested.end());
    int infer_at = -1;
    int64_t known = 1;  // product of the dims other than -1
    const int64_t total = shape_numel(data);
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == -1) {
        if (infer_at >= 0) throw OpError("shape " + list(requested) + " has more than one -1");
        infer_at = static_cast<int>(i);
        continue;
      }
      if (out[i] < -1) throw OpError("shape " + list(requested) + " has a negative dim");
      if (out[i] == 0 && !allowzero_) {
        if (i >= data.size())
          throw OpError("shape " + list(requested) + " copies dim " + std::to_string(i) +
                        " (0) but data has rank " + std::to_string(data.size()));
        out[i] = data[i];
      }
      if (__builtin_mul_overflow(known, out[i], &known))
        throw OpError("shape " + list(requested) + " overflows");
    }
    if (infer_at >= 0) {
      if (known == 0 || total % known != 0)
        throw OpError("cannot infer the -1 in shape " + list(requested) + " for data shape " +
                      shape_str(data));
      out[static_cast<size_t>(infer_at)] = total / known;
    } else if (known != total) {
      throw OpError("shape " + list(requested) + " has " + std::to_string(known) +
                    " elements but data shape " + shape_str(data) + " has " +
                    std::to_string(total));
    }
    return std::vector<TensorMeta>{{in[0].dtype, out}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    copy_data(*in[0], *out[0]);
  }

 private:
  static std::string list(std::span<const int64_t> v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) s += ',';
      s += std::to_string(v[i]);
    }
    return s + "]";
  }

  bool allowzero_;
};

// Flatten: [prod(dims[:axis]), prod(dims[axis:])].
class FlattenOp : public Op {
 public:
  explicit FlattenOp(const Attributes& attrs) : axis_(attrs.get_int("axis", 1)) {}

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() != 1 || !in[0].present)
      throw OpError("expects 1 input, got " + std::to_string(in.size()));
    const Shape& s = in[0].shape;
    const auto rank = static_cast<int64_t>(s.size());
    if (axis_ < -rank || axis_ > rank)
      throw OpError("axis " + std::to_string(axis_) + " is out of range for rank " +
                    std::to_string(rank));
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= s[static_cast<size_t>(d)];
    return std::vector<TensorMeta>{{in[0].dtype, {outer, inner}}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    copy_data(*in[0], *out[0]);
  }

 private:
  int64_t axis_;
};

}  // namespace

std::unique_ptr<Op> make_reshape(const Attributes& attrs) {
  return std::make_unique<ReshapeOp>(attrs);
}
std::unique_ptr<Op> make_flatten(const Attributes& attrs) {
  return std::make_unique<FlattenOp>(attrs);
}

}  // namespace resq
