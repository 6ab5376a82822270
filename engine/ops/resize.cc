#include "engine/ops/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/error.h"

namespace resq {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfCropAndResize,
  kTfHalfPixelForNn
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

// Outputs larger than this are treated as malformed scales/sizes rather than allocated.
constexpr double kMaxOutputElements = double(int64_t{1} << 32);

struct Config {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
};

template <class E>
E parse_choice(const Attributes& attrs, const std::string& name, const std::string& def,
               std::initializer_list<std::pair<const char*, E>> choices) {
  const std::string v = attrs.get_string(name, def);
  std::string listed;
  for (const auto& [text, e] : choices) {
    if (v == text) return e;
    if (!listed.empty()) listed += ", ";
    listed += text;
  }
  throw OpError("attribute '" + name + "' must be one of " + listed + ", got '" + v + "'");
}

// How one axis is resampled: output index o reads `taps` input indices (already clamped to
// the axis) with weights, or the extrapolation value when `outside[o]` (then its weights are
// 0 and its indices 0). Tap-major, entry k * out + o, so that a loop over o reads each tap's
// indices and weights contiguously and vectorises.
struct AxisPlan {
  int64_t in = 0, out = 0;
  int taps = 1;
  std::vector<int64_t> index;  // taps * out
  std::vector<float> weight;   // taps * out
  std::vector<uint8_t> outside;
  bool identity = true;
  // Per block of kBlock outputs along the last axis: the first of kBlock consecutive inputs that
  // hold all the block's taps, or -1 (an input span too wide, an outside output, a short axis);
  // local[(b * taps + k) * kBlock + i] = index of tap k of output b * kBlock + i minus that.
  std::vector<int32_t> block_start, local;
};

// Outputs per block of the last-axis pass: one vector register of floats, so that each tap's
// permute is one instruction (vpermps); a wider block is taken apart through memory, element by
// element (AVX2 has no 16-float permute).
#if defined(__AVX512F__)
constexpr int64_t kBlock = 16;
#elif defined(__AVX2__)
constexpr int64_t kBlock = 8;
#else
constexpr int64_t kBlock = 4;
#endif

// Fills block_start / local (see AxisPlan) from the indices.
void plan_blocks(AxisPlan& p) {
  const int64_t blocks = p.out / kBlock;
  p.block_start.assign(static_cast<size_t>(blocks), -1);
  p.local.assign(static_cast<size_t>(blocks * p.taps * kBlock), 0);
  if (p.in < kBlock || p.in > std::numeric_limits<int32_t>::max()) return;
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t lo = p.in, hi = -1;
    bool outside = false;
    for (int64_t o = b * kBlock; o < (b + 1) * kBlock; ++o) {
      outside = outside || p.outside[static_cast<size_t>(o)];
      for (int k = 0; k < p.taps; ++k) {
        const int64_t i = p.index[static_cast<size_t>(k * p.out + o)];
        lo = std::min(lo, i);
        hi = std::max(hi, i);
      }
    }
    const int64_t start = std::min(lo, p.in - kBlock);
    if (outside || hi - start >= kBlock) continue;
    p.block_start[static_cast<size_t>(b)] = static_cast<int32_t>(start);
    for (int k = 0; k < p.taps; ++k)
      for (int64_t i = 0; i < kBlock; ++i)
        p.local[static_cast<size_t>((b * p.taps + k) * kBlock + i)] =
            static_cast<int32_t>(p.index[static_cast<size_t>(k * p.out + b * kBlock + i)] - start);
  }
}

// Keys' cubic convolution weights for taps at offsets -1, 0, 1, 2 from floor(x), t = frac(x).
void cubic_weights(double t, double a, double w[4]) {
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };       // |d| <= 1
  auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };  // 1 < |d| < 2
  w[0] = far(1 + t);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

AxisPlan plan_axis(int64_t in, int64_t out, double scale, double roi_start, double roi_end,
                   const Config& c) {
  AxisPlan p;
  p.in = in;
  p.out = out;
  p.taps = c.mode == Mode::kNearest ? 1 : c.mode == Mode::kLinear ? 2 : 4;
  const auto taps = static_cast<size_t>(p.taps);
  p.index.assign(static_cast<size_t>(out) * taps, 0);
  p.weight.assign(static_cast<size_t>(out) * taps, 0.0f);
  p.outside.assign(static_cast<size_t>(out), 0);
  // ONNX defines the resized length as scale * in, which need not be an integer.
  const double resized = scale * static_cast<double>(in);
  const double in_last = static_cast<double>(in - 1);
  for (int64_t o = 0; o < out; ++o) {
    const auto od = static_cast<double>(o);
    double x = 0;
    switch (c.coord) {
      case Coord::kHalfPixel:
        x = (od + 0.5) / scale - 0.5;
        break;
      case Coord::kPytorchHalfPixel:
        x = resized > 1 ? (od + 0.5) / scale - 0.5 : 0;
        break;
      case Coord::kAlignCorners:
        x = resized == 1 ? 0 : od * in_last / (resized - 1);
        break;
      case Coord::kAsymmetric:
        x = od / scale;
        break;
      case Coord::kTfHalfPixelForNn:
        x = (od + 0.5) / scale;
        break;
      case Coord::kTfCropAndResize:
        x = resized == 1 ? (roi_end - roi_start) * in_last / 2
                         : od * (roi_end - roi_start) * in_last / (resized - 1);
        x += roi_start * in_last;
        break;
    }
    const auto oi = static_cast<size_t>(o);
    if (c.coord == Coord::kTfCropAndResize && (x < 0 || x > in_last)) {
      p.outside[oi] = 1;
      p.identity = false;
      continue;
    }
    const double fl = std::floor(x);
    const double t = x - fl;
    const auto base = static_cast<int64_t>(fl);
    double wd[4] = {1, 0, 0, 0};
    int64_t first = base;  // input index of tap 0
    switch (c.mode) {
      case Mode::kNearest: {
        bool up = false;
        switch (c.nearest) {
          case NearestMode::kRoundPreferFloor:
            up = t > 0.5;
            break;
          case NearestMode::kRoundPreferCeil:
            up = t >= 0.5;
            break;
          case NearestMode::kFloor:
            up = false;
            break;
          case NearestMode::kCeil:
            up = t > 0;
            break;
        }
        first = base + (up ? 1 : 0);
        break;
      }
      case Mode::kLinear:
        wd[0] = 1 - t;
        wd[1] = t;
        break;
      case Mode::kCubic: {
        first = base - 1;
        cubic_weights(t, c.cubic_a, wd);
        if (c.exclude_outside) {
          double sum = 0;
          for (int k = 0; k < 4; ++k) {
            if (first + k < 0 || first + k >= in) wd[k] = 0;
            sum += wd[k];
          }
          if (sum != 0)
            for (double& v : wd) v /= sum;
        }
        break;
      }
    }
    // Identity: the output equals the input sample o.
    double own = 0;
    bool others_zero = true;
    for (size_t k = 0; k < taps; ++k) {
      const size_t at = k * static_cast<size_t>(out) + oi;
      p.index[at] = std::clamp<int64_t>(first + static_cast<int64_t>(k), 0, in - 1);
      p.weight[at] = static_cast<float>(wd[k]);
      if (p.index[at] == o)
        own += p.weight[at];
      else if (p.weight[at] != 0)
        others_zero = false;
    }
    if (in != out || own != 1 || !others_zero) p.identity = false;
  }
  plan_blocks(p);
  return p;
}

using FloatBlock = float __attribute__((vector_size(kBlock * sizeof(float))));
using IndexBlock = int32_t __attribute__((vector_size(kBlock * sizeof(int32_t))));

// Resamples the last axis of the rows s (p.in floats) into d (p.out floats). A block of outputs
// whose taps lie in one vector of inputs loads that vector once and permutes it per tap (when
// upsampling, nearly every block); the others gather element by element. Both sum the taps in
// the same order.
template <int kTaps>
void resample_last_axis(const float* s, float* __restrict d, const AxisPlan& p,
                        float extrapolation) {
  const int64_t n = p.out;
  const int64_t* idx = p.index.data();
  const float* w = p.weight.data();
  const uint8_t* outside = p.outside.data();
  auto one = [&](int64_t o) {
    float acc = w[o] * s[idx[o]];
    for (int k = 1; k < kTaps; ++k) acc += w[k * n + o] * s[idx[k * n + o]];
    d[o] = outside[o] ? extrapolation : acc;
  };
  int64_t o = 0;
  for (int64_t b = 0; o + kBlock <= n; ++b, o += kBlock) {
    const int32_t start = p.block_start[static_cast<size_t>(b)];
    if (start < 0) {
      for (int64_t i = o; i < o + kBlock; ++i) one(i);
      continue;
    }
    FloatBlock src, wk, acc;
    IndexBlock at;
    std::memcpy(&src, s + start, sizeof src);
    for (int k = 0; k < kTaps; ++k) {
      std::memcpy(&at, p.local.data() + (b * kTaps + k) * kBlock, sizeof at);
      std::memcpy(&wk, w + k * n + o, sizeof wk);
      const FloatBlock tap = __builtin_shuffle(src, at);
      if (k == 0)
        acc = wk * tap;
      else
        acc += wk * tap;
    }
    std::memcpy(d + o, &acc, sizeof acc);
  }
  for (; o < n; ++o) one(o);
}

// Resamples the middle axis of src viewed as [outer, p.in, inner] into dst [outer, p.out,
// inner]. Rows of `inner` floats are combined whole, all taps in one vectorised pass; the last
// axis (inner == 1) goes to resample_last_axis.
template <int kTaps>
void resample_axis(const float* src, float* dst, int64_t outer, int64_t inner, const AxisPlan& p,
                   float extrapolation) {
  for (int64_t b = 0; b < outer; ++b) {
    const float* s = src + b * p.in * inner;
    float* d = dst + b * p.out * inner;
    if (inner == 1) {
      resample_last_axis<kTaps>(s, d, p, extrapolation);
      continue;
    }
    for (int64_t o = 0; o < p.out; ++o) {
      float* __restrict row = d + o * inner;
      if (p.outside[static_cast<size_t>(o)]) {
        std::fill(row, row + inner, extrapolation);
        continue;
      }
      const float* r[kTaps];
      float w[kTaps];
      for (int k = 0; k < kTaps; ++k) {
        r[k] = s + p.index[static_cast<size_t>(k * p.out + o)] * inner;
        w[k] = p.weight[static_cast<size_t>(k * p.out + o)];
      }
      if constexpr (kTaps == 1) {
        std::memcpy(row, r[0], static_cast<size_t>(inner) * sizeof(float));
      } else {
        for (int64_t i = 0; i < inner; ++i) {
          float acc = w[0] * r[0][i];
          for (int k = 1; k < kTaps; ++k) acc += w[k] * r[k][i];
          row[i] = acc;
        }
      }
    }
  }
}

class ResizeOp : public Op {
 public:
  // Upsample is Resize with inputs (X, scales), asymmetric coordinates and floor rounding.
  ResizeOp(const Attributes& attrs, bool upsample) : upsample_(upsample) {
    c_.mode = parse_choice<Mode>(
        attrs, "mode", "nearest",
        upsample
            ? std::initializer_list<std::pair<const char*, Mode>>{{"nearest", Mode::kNearest},
                                                                  {"linear", Mode::kLinear}}
            : std::initializer_list<std::pair<const char*, Mode>>{
                  {"nearest", Mode::kNearest}, {"linear", Mode::kLinear}, {"cubic", Mode::kCubic}});
    if (upsample) {
      c_.coord = Coord::kAsymmetric;
      c_.nearest = NearestMode::kFloor;
      return;
    }
    c_.coord = parse_choice<Coord>(attrs, "coordinate_transformation_mode", "half_pixel",
                                   {{"half_pixel", Coord::kHalfPixel},
                                    {"pytorch_half_pixel", Coord::kPytorchHalfPixel},
                                    {"align_corners", Coord::kAlignCorners},
                                    {"asymmetric", Coord::kAsymmetric},
                                    {"tf_crop_and_resize", Coord::kTfCropAndResize},
                                    {"tf_half_pixel_for_nn", Coord::kTfHalfPixelForNn}});
    c_.nearest = parse_choice<NearestMode>(attrs, "nearest_mode", "round_prefer_floor",
                                           {{"round_prefer_floor", NearestMode::kRoundPreferFloor},
                                            {"round_prefer_ceil", NearestMode::kRoundPreferCeil},
                                            {"floor", NearestMode::kFloor},
                                            {"ceil", NearestMode::kCeil}});
    c_.cubic_a = attrs.get_float("cubic_coeff_a", -0.75f);
    c_.exclude_outside = attrs.get_flag("exclude_outside");
    c_.extrapolation = attrs.get_float("extrapolation_value", 0.0f);
    if (attrs.has("axes"))
      throw OpError("attribute 'axes' (opset 18) is not supported; the importer must expand it");
  }

  std::optional<std::vector<TensorMeta>> infer(std::span<const TensorMeta> in) const override {
    const Scaling sc = scaling(in);
    if (!sc.known) return std::nullopt;
    return std::vector<TensorMeta>{{DType::kFloat32, sc.out}};
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    std::vector<TensorMeta> metas;
    for (const Tensor* t : in)
      metas.push_back(t ? TensorMeta{t->dtype(), t->shape(), t}
                        : TensorMeta{DType::kFloat32, {}, nullptr, false});
    const Scaling sc = scaling(metas);
    const Tensor& x = *in[0];
    const Tensor* roi = !upsample_ && in.size() > 1 ? in[1] : nullptr;
    const size_t rank = sc.out.size();
    std::vector<AxisPlan> plans;
    for (size_t d = 0; d < rank; ++d) {
      const bool crop = c_.coord == Coord::kTfCropAndResize;
      const double start = crop ? roi->at_as_double(static_cast<int64_t>(d)) : 0;
      const double end = crop ? roi->at_as_double(static_cast<int64_t>(d + rank)) : 1;
      plans.push_back(plan_axis(x.shape()[d], sc.out[d], sc.scale[d], start, end, c_));
    }
    // Innermost axes first: the scalar last-axis pass then runs on the smaller tensor when
    // upsampling, and the later passes combine whole contiguous rows.
    std::vector<size_t> active;
    for (size_t d = rank; d-- > 0;)
      if (!plans[d].identity) active.push_back(d);
    Tensor& y = *out[0];
    if (active.empty()) {
      if (x.bytes()) std::memcpy(y.f32(), x.f32(), x.bytes());
      return;
    }
    if (y.numel() == 0) return;
    // Slices along the axes before the outermost resampled one are independent: resample one
    // slice at a time so that its intermediate results stay in cache.
    const size_t first = active.back();
    int64_t slices = 1;
    for (size_t k = 0; k < first; ++k) slices *= x.shape()[k];
    const int64_t in_slice = x.numel() / slices, out_slice = y.numel() / slices;
    std::vector<float> bufs[2];
    for (int64_t sl = 0; sl < slices; ++sl) {
      Shape cur = x.shape();
      const float* src = x.f32() + sl * in_slice;
      for (size_t a = 0; a < active.size(); ++a) {
        const size_t d = active[a];
        int64_t outer = 1, inner = 1;
        for (size_t k = first; k < d; ++k) outer *= cur[k];
        for (size_t k = d + 1; k < rank; ++k) inner *= cur[k];
        cur[d] = sc.out[d];
        float* dst = y.f32() + sl * out_slice;
        if (a + 1 < active.size()) {
          bufs[a % 2].resize(static_cast<size_t>(outer * cur[d] * inner));
          dst = bufs[a % 2].data();
        }
        const AxisPlan& p = plans[d];
        switch (p.taps) {
          case 1:
            resample_axis<1>(src, dst, outer, inner, p, c_.extrapolation);
            break;
          case 2:
            resample_axis<2>(src, dst, outer, inner, p, c_.extrapolation);
            break;
          default:
            resample_axis<4>(src, dst, outer, inner, p, c_.extrapolation);
            break;
        }
        src = dst;
      }
    }
  }

 private:
  struct Scaling {
    bool known = false;
    Shape out;
    std::vector<double> scale;
  };

  // Validates the inputs and derives the output shape and per-axis scale.
  Scaling scaling(std::span<const TensorMeta> in) const {
    const size_t max_inputs = upsample_ ? 2 : 4;
    if (in.size() < 2 || in.size() > max_inputs || !in[0].present)
      throw OpError(std::string("expects inputs ") +
                    (upsample_ ? "X and scales" : "X, roi?, scales?, sizes?") + ", got " +
                    std::to_string(in.size()) + " inputs");
    if (in[0].dtype != DType::kFloat32)
      throw OpError(std::string("X must be float32, got ") + dtype_name(in[0].dtype));
    const Shape& xs = in[0].shape;
    const size_t rank = xs.size();
    if (rank == 0) throw OpError("X must have rank >= 1");
    const size_t scales_at = upsample_ ? 1 : 2;
    // An empty scales or sizes tensor stands for an absent one (opset 11 exporters).
    auto given = [&](size_t i) {
      return i < in.size() && in[i].present && shape_numel(in[i].shape) != 0;
    };
    const bool has_scales = given(scales_at), has_sizes = !upsample_ && given(3);
    if (has_scales == has_sizes)
      throw OpError(has_scales ? "both scales and sizes are given; exactly one is allowed"
                               : "neither scales nor sizes is given; exactly one is required");
    const size_t which = has_scales ? scales_at : 3;
    const char* name = has_scales ? "scales" : "sizes";
    const DType want = has_scales ? DType::kFloat32 : DType::kInt64;
    if (in[which].dtype != want)
      throw OpError(std::string(name) + " must be " + dtype_name(want) + ", got " +
                    dtype_name(in[which].dtype));
    if (in[which].shape != Shape{static_cast<int64_t>(rank)})
      throw OpError(std::string(name) + " must have shape " + std::to_string(rank) +
                    " for X of rank " + std::to_string(rank) + ", got " +
                    shape_str(in[which].shape));
    if (c_.coord == Coord::kTfCropAndResize) {
      if (!given(1))
        throw OpError("coordinate_transformation_mode tf_crop_and_resize needs the roi input");
      if (in[1].shape != Shape{static_cast<int64_t>(2 * rank)})
        throw OpError("roi must have shape " + std::to_string(2 * rank) + ", got " +
                      shape_str(in[1].shape));
      if (!in[1].value) return {};
    }
    const Tensor* v = in[which].value;
    if (!v) return {};
    Scaling sc;
    sc.known = true;
    sc.out.resize(rank);
    sc.scale.resize(rank);
    double total = 1;
    for (size_t d = 0; d < rank; ++d) {
      const auto in_len = static_cast<double>(xs[d]);
      if (has_scales) {
        const double s = v->f32()[d];
        if (!(s > 0) || !std::isfinite(s))
          throw OpError("scales[" + std::to_string(d) + "] = " + std::to_string(s) +
                        ", must be positive");
        const double len = std::floor(s * in_len);
        if (len >= kMaxOutputElements)
          throw OpError("scales give a too large output on axis " + std::to_string(d));
        sc.scale[d] = s;
        sc.out[d] = static_cast<int64_t>(len);
      } else {
        const int64_t n = v->i64()[d];
        if (n < 0 || static_cast<double>(n) >= kMaxOutputElements)
          throw OpError("sizes[" + std::to_string(d) + "] = " + std::to_string(n) + " is invalid");
        sc.out[d] = n;
        sc.scale[d] = in_len > 0 ? static_cast<double>(n) / in_len : 1;
      }
      if (xs[d] == 0 && sc.out[d] > 0)
        throw OpError("cannot resize axis " + std::to_string(d) + " of size 0 to " +
                      std::to_string(sc.out[d]));
      total *= static_cast<double>(sc.out[d]);
    }
    if (total >= kMaxOutputElements)
      throw OpError("output shape " + shape_str(sc.out) + " is too large");
    return sc;
  }

  bool upsample_;
  Config c_;
};

}  // namespace

std::unique_ptr<Op> make_resize(const Attributes& attrs) {
  return std::make_unique<ResizeOp>(attrs, false);
}

std::unique_ptr<Op> make_upsample(const Attributes& attrs) {
  return std::make_unique<ResizeOp>(attrs, true);
}

}  // namespace resq
