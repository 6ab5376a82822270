#include "engine/ops/conv_transpose.h"

#include <algorithm>
#include <string>

#include "engine/error.h"
#include "engine/ops/gemm.h"
#include "engine/ops/window.h"

namespace resq {
namespace {

struct Geometry {
  int64_t n, c, m;  // batch, input channels, output channels
  Window w;         // w.in is the output's spatial shape, w.out the input's
};

std::vector<int64_t> bounded_ints(const Attributes& attrs, const char* name, int64_t min) {
  std::vector<int64_t> v = attrs.get_ints(name, {});
  for (int64_t x : v)
    if (x < min || x >= (int64_t{1} << 31))
      throw OpError(std::string("attribute '") + name + "' has value " + std::to_string(x));
  return v;
}

class ConvTransposeOp : public Op {
 public:
  explicit ConvTransposeOp(const Attributes& attrs)
      : attrs_(parse_window_attrs(attrs)),
        group_(attrs.get_int("group", 1)),
        output_padding_(bounded_ints(attrs, "output_padding", 0)),
        output_shape_(bounded_ints(attrs, "output_shape", 1)) {
    if (group_ < 1 || group_ >= (int64_t{1} << 31))
      throw OpError("attribute 'group' is " + std::to_string(group_) + ", expected >= 1");
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    const Geometry g = geometry(in);
    Shape y = {g.n, g.m};
    y.insert(y.end(), g.w.in.begin(), g.w.in.end());
    return std::vector<TensorMeta>{{DType::kFloat32, y}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Geometry g = geometry(metas_of(in));
    const Window& w = g.w;
    const int64_t cg = g.c / group_, mg = g.m / group_;
    const int64_t P_in = w.out_size(), P_out = w.in_size(), K = w.kernel_size();
    const float* x = in[0]->f32();
    const float* wt = in[1]->f32();
    const float* bias = in.size() > 2 && in[2] ? in[2]->f32() : nullptr;
    float* y = out[0]->f32();
    for (int64_t i = 0; i < g.n * g.m; ++i)
      std::fill(y + i * P_out, y + (i + 1) * P_out, bias ? bias[i % g.m] : 0.0f);
    scratch_.resize(static_cast<size_t>(mg * K * P_in));
    for (int64_t b = 0; b < g.n; ++b) {
      for (int64_t grp = 0; grp < group_; ++grp) {
        // columns (mg*K x P_in) = W_g^T (mg*K x cg) * X_g (cg x P_in); W_g is stored cg x mg*K.
        sgemm(true, false, mg * K, P_in, cg, 1.0f, wt + grp * cg * mg * K,
              x + (b * g.c + grp * cg) * P_in, 0.0f, scratch_.data());
        col2im(w, mg, scratch_.data(), y + (b * g.m + grp * mg) * P_out);
      }
    }
  }

  int64_t macs(std::span<const TensorMeta> in, std::span<const TensorMeta>) const override {
    const Shape &x = in[0].shape, &wt = in[1].shape;
    int64_t n = x[0] * x[1] * wt[1];
    for (size_t d = 2; d < x.size(); ++d) n *= x[d] * wt[d];
    return n;
  }

 private:
  Geometry geometry(std::span<const TensorMeta> in) const {
    check_conv_operands(in);
    const Shape &x = in[0].shape, &wt = in[1].shape;
    Geometry g;
    g.n = x[0];
    g.c = x[1];
    g.m = wt[1] * group_;
    if (wt[0] != g.c || g.c % group_ != 0)
      throw OpError("input has " + std::to_string(g.c) + " channels but weight " + shape_str(wt) +
                    " with group " + std::to_string(group_) + " expects " + std::to_string(wt[0]) +
                    " (a multiple of the group)");
    if (g.m < 1) throw OpError("weight " + shape_str(wt) + " has no output channels");
    const Shape kernel = conv_kernel(in, attrs_, g.m);
    g.w = transposed_window(attrs_, Shape(x.begin() + 2, x.end()), kernel, output_padding_,
                            output_shape_);
    return g;
  }

  WindowAttrs attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_, output_shape_;
  size_t scratch_bytes() const override { return capacity_bytes(scratch_); }

  mutable std::vector<float> scratch_;  // GEMM columns
};

}  // namespace

std::unique_ptr<Op> make_conv_transpose(const Attributes& attrs) {
  return std::make_unique<ConvTransposeOp>(attrs);
}

}  // namespace resq
