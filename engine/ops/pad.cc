#include "engine/ops/pad.h"

#include <algorithm>

#include "engine/error.h"

namespace resq {
namespace {

enum class PadMode { kConstant, kReflect, kEdge };

// Outputs larger than this are treated as a malformed pads input rather than allocated.
constexpr int64_t kMaxOutputElements = int64_t{1} << 32;

// Pad(data, pads, constant_value?): pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...];
// negative pads crop.
class PadOp : public Op {
 public:
  explicit PadOp(const Attributes& attrs) {
    const std::string mode = attrs.get_string("mode", "constant");
    if (mode == "constant")
      mode_ = PadMode::kConstant;
    else if (mode == "reflect")
      mode_ = PadMode::kReflect;
    else if (mode == "edge")
      mode_ = PadMode::kEdge;
    else
      throw OpError("attribute 'mode' must be constant, reflect or edge, got '" + mode + "'");
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    if (in.size() < 2 || in.size() > 3 || !in[0].present || !in[1].present)
      throw OpError("expects inputs data, pads and optional constant_value, got " +
                    std::to_string(in.size()) + " inputs");
    const Shape& s = in[0].shape;
    const size_t rank = s.size();
    if (in[1].dtype != DType::kInt64)
      throw OpError(std::string("pads must be int64, got ") + dtype_name(in[1].dtype));
    if (in[1].shape != Shape{static_cast<int64_t>(2 * rank)})
      throw OpError("pads must have shape " + std::to_string(2 * rank) + " for data of rank " +
                    std::to_string(rank) + ", got " + shape_str(in[1].shape));
    if (in.size() == 3 && in[2].present) {
      if (in[2].dtype != in[0].dtype)
        throw OpError(std::string("constant_value is ") + dtype_name(in[2].dtype) +
                      " but data is " + dtype_name(in[0].dtype));
      if (shape_numel(in[2].shape) != 1)
        throw OpError("constant_value must be a scalar, got shape " + shape_str(in[2].shape));
    }
    if (!in[1].value) return std::nullopt;
    const auto pads = in[1].value->ints();
    Shape out(rank);
    int64_t total = 1;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t begin = pads[d], end = pads[d + rank];
      if (__builtin_add_overflow(s[d], begin, &out[d]) ||
          __builtin_add_overflow(out[d], end, &out[d]) || out[d] < 0)
        throw OpError("pads " + std::to_string(begin) + "," + std::to_string(end) + " on axis " +
                      std::to_string(d) + " of size " + std::to_string(s[d]) +
                      " give an invalid size");
      if (out[d] > 0 && (begin > 0 || end > 0) && mode_ != PadMode::kConstant && s[d] == 0)
        throw OpError("cannot " + std::string(mode_ == PadMode::kEdge ? "edge" : "reflect") +
                      "-pad axis " + std::to_string(d) + " of size 0");
      if (out[d] > 0 && __builtin_mul_overflow(total, out[d], &total)) total = kMaxOutputElements;
      if (total >= kMaxOutputElements)
        throw OpError("pads give an output of shape " + shape_str(out) + ", too large");
    }
    return std::vector<TensorMeta>{{in[0].dtype, out}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Tensor& x = *in[0];
    const bool has_value = in.size() == 3 && in[2];
    if (x.dtype() == DType::kFloat32)
      pad(x.f32(), out[0]->f32(), x.shape(), out[0]->shape(), in[1]->ints(),
          has_value ? in[2]->f32()[0] : 0.0f);
    else
      pad(x.i64(), out[0]->i64(), x.shape(), out[0]->shape(), in[1]->ints(),
          has_value ? in[2]->i64()[0] : int64_t{0});
  }

 private:
  // Input index feeding output index o along an axis of size n with `begin` padding, or -1
  // for the constant value.
  int64_t source_index(int64_t o, int64_t n, int64_t begin) const {
    int64_t i = o - begin;
    if (i >= 0 && i < n) return i;
    switch (mode_) {
      case PadMode::kConstant:
        return -1;
      case PadMode::kEdge:
        return std::clamp<int64_t>(i, 0, n - 1);
      case PadMode::kReflect: {
        if (n == 1) return 0;
        // Reflection without repeating the edge has period 2(n-1).
        const int64_t period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
      }
    }
    return -1;
  }

  template <class T>
  void pad(const T* x, T* y, const Shape& in_shape, const Shape& out_shape,
           std::span<const int64_t> pads, T value) const {
    const size_t rank = in_shape.size();
    if (shape_numel(out_shape) == 0) return;
    if (rank == 0) {
      y[0] = x[0];
      return;
    }
    // Per-axis lookup tables: output index -> input index (-1 = constant).
    std::vector<std::vector<int64_t>> src(rank);
    std::vector<int64_t> in_strides(rank, 1);
    for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
    for (size_t d = 0; d < rank; ++d) {
      src[d].resize(static_cast<size_t>(out_shape[d]));
      for (int64_t o = 0; o < out_shape[d]; ++o)
        src[d][static_cast<size_t>(o)] = source_index(o, in_shape[d], pads[d]);
    }
    // Walk the output row by row; outer axes pick an input row (or a constant row).
    const std::vector<int64_t>& cols = src[rank - 1];
    const int64_t width = out_shape[rank - 1];
    const int64_t rows = shape_numel(out_shape) / width;
    std::vector<int64_t> idx(rank - 1, 0);
    for (int64_t r = 0; r < rows; ++r) {
      T* dst = y + r * width;
      int64_t base = 0;
      bool constant_row = false;
      for (size_t d = 0; d + 1 < rank; ++d) {
        const int64_t i = src[d][static_cast<size_t>(idx[d])];
        if (i < 0) constant_row = true;
        base += i * in_strides[d];
      }
      if (constant_row) {
        std::fill(dst, dst + width, value);
      } else {
        for (int64_t c = 0; c < width; ++c) {
          const int64_t i = cols[static_cast<size_t>(c)];
          dst[c] = i < 0 ? value : x[base + i];
        }
      }
      for (size_t d = rank - 1; d-- > 0;) {
        if (++idx[d] < out_shape[d]) break;
        idx[d] = 0;
      }
    }
  }

  PadMode mode_ = PadMode::kConstant;
};

}  // namespace

std::unique_ptr<Op> make_pad(const Attributes& attrs) { return std::make_unique<PadOp>(attrs); }

}  // namespace resq
