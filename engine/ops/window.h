// Spatial window geometry shared by Conv, ConvTranspose and the pools: kernel, strides,
// dilations, pads, auto_pad (NOTSET / SAME_UPPER / SAME_LOWER / VALID), ceil_mode and the
// resulting output sizes, plus the im2col / col2im copies between an image and GEMM columns.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/capacity_bytes.h"
#include "engine/graph.h"
#include "engine/op.h"
#include "engine/tensor.h"

namespace resq {

struct LevelGrid;

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// The window attributes of a node, validated when the op is created. Empty vectors mean
// "not given": kernel from W (conv), strides/dilations all 1, pads all 0.
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;
  bool ceil_mode = false;
};

// Reads auto_pad, kernel_shape, strides, dilations, pads and ceil_mode. Throws OpError for an
// unknown auto_pad, a non-positive kernel/stride/dilation, a negative pad, an odd pads length
// or a ceil_mode other than 0/1.
WindowAttrs parse_window_attrs(const Attributes& attrs);

// A resolved window: one entry per spatial dim. It always describes the forward relation
// between an image (`in`) and the grid of window positions (`out`): window position o covers
// image coordinates o * stride - pad_begin + k * dilation, k in [0, kernel). For ConvTranspose
// `in` is the op's output and `out` its input.
struct Window {
  std::vector<int64_t> in, out, kernel, stride, dilation, pad_begin, pad_end;

  size_t rank() const { return in.size(); }
  int64_t extent(size_t d) const { return (kernel[d] - 1) * dilation[d] + 1; }
  int64_t in_size() const { return shape_numel(in); }
  int64_t out_size() const { return shape_numel(out); }
  int64_t kernel_size() const { return shape_numel(kernel); }
  // True when every position maps 1:1 to the same image pixel (1x1 kernel, stride 1, no pads).
  bool is_pointwise() const;
};

// Conv and pools. `kernel` is the kernel's spatial shape (from W or kernel_shape). Throws
// OpError when attribute lengths do not match the spatial rank or the output would be empty.
Window forward_window(const WindowAttrs& a, const Shape& in_spatial, const Shape& kernel);

// ConvTranspose: `output_padding` and `output_shape` may be empty. The returned window's `in`
// is the output's spatial shape. Follows the ONNX spec: output_shape (or auto_pad SAME_*,
// which asks for in * stride) determines the pads, otherwise the pads determine the output.
Window transposed_window(const WindowAttrs& a, const Shape& in_spatial, const Shape& kernel,
                         const std::vector<int64_t>& output_padding,
                         const std::vector<int64_t>& output_shape);

// Checks what Conv and ConvTranspose share: inputs X, W and optional B, all float32, X of rank
// >= 3 and W of the same rank.
void check_conv_operands(std::span<const TensorMeta> in);
// W's spatial dims, checked against the kernel_shape attribute; and B against `out_channels`.
Shape conv_kernel(std::span<const TensorMeta> in, const WindowAttrs& a, int64_t out_channels);

// Floats of a conv's GEMM operands per tile of output rows (the float Conv counts im2col columns
// and outputs, the integer conv its columns): a quarter of this CPU's L2 cache (sysconf; 1 MB
// when it does not say). On a 512 KB L2 the first conv ran
// about 9% faster at a quarter of it than at a quarter of 1 MB (median of 15 alternating runs).
int64_t tile_floats();

// Copies `channels` images (each w.in_size() floats) into columns: row (c, k...) of
// w.out_size() floats holds the pixel each window position sees through kernel tap k (0 in the
// padding). col has channels * w.kernel_size() rows.
void im2col(const Window& w, int64_t channels, const float* image, float* col);
// The adjoint of im2col: adds each column entry into the pixel it came from (taps that fall in
// the padding are dropped). Does not clear `image` first.
void col2im(const Window& w, int64_t channels, const float* col, float* image);

// One image plane of a 2-D window op rearranged for vectorised loops (depthwise conv, pools).
// The padded plane (pad pixels = pad_value) is split by phase in both dims: padded pixel (r, c)
// goes to phase plane (r % stride_h, c % stride_w) at (r / stride_h, c / stride_w). Outputs are
// then computed on a "wide" grid of out[0] rows of wide_cols() >= out[1] columns, on which every
// kernel tap is one contiguous run: wide output q sees tap(ky, kx)[q]. Columns >= out[1] of
// each wide row are scratch, dropped by narrow().
class PhasePlanes {
 public:
  // With a grid, the image's pixels are stored as its levels (a quantized conv's input). The
  // pads are written when the geometry or the pad value changes, the pixels on every build.
  void build(const Window& w, const float* image, float pad_value, const LevelMap& map = {});
  // The run of kernel tap (ky, kx); taps() lists them row by row.
  const float* tap(int64_t ky, int64_t kx) const { return taps_[ky * kw_ + kx]; }
  const float* const* taps() const { return taps_.data(); }
  int64_t wide_cols() const { return pw_; }
  int64_t wide_size() const { return oh_ * pw_; }
  // Copies the out[0] x out[1] valid part of a wide grid into y.
  void narrow(const float* wide, float* y) const;
  // Heap bytes of its planes.
  size_t bytes() const {
    return capacity_bytes(buf_) + capacity_bytes(row_) + capacity_bytes(taps_);
  }

 private:
  std::array<int64_t, 13> key_{};  // the geometry and pad value buf_ is laid out for
  std::vector<float> buf_;    // the phase planes
  std::vector<float> row_;    // one image row as levels
  std::vector<const float*> taps_;
  int64_t oh_ = 0, ow_ = 0, pw_ = 0, kw_ = 0;
};

// The metas of run()'s inputs (absent optional inputs have present == false), so that run()
// can re-derive its geometry with the same code as infer().
std::vector<TensorMeta> metas_of(std::span<const Tensor* const> in);

}  // namespace resq
