#include "engine/change_rules.h"

#include <array>
#include <algorithm>
#include <string_view>

namespace resq {
namespace {

bool element_wise(const std::string& op) {
  static constexpr std::array<std::string_view, 12> kOps = {
      "Add",       "BatchNormalization", "Clip", "Div", "HardSigmoid", "HardSwish",
      "LeakyRelu", "Mul",                "PRelu", "Relu", "Sigmoid",   "Sub"};
  return std::find(kOps.begin(), kOps.end(), op) != kOps.end();
}

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output pixel y of an axis resized from n to m samples an input coordinate within
// [y n / m - 1, (y + 1) n / m + 1] in every coordinate transformation mode but tf_crop_and_resize,
// and reads from one pixel below it to two above (nearest, linear, cubic). So input rows [a, b)
// reach at most the outputs in [(a - 3) m / n - 1, (b + 2) m / n + 2).
ChangeMask resized(const ChangeMask& in, const Shape& out_shape) {
  ChangeMask out(out_shape, false);
  const int64_t n_h = in.height(), n_w = in.width(), m_h = out.height(), m_w = out.width();
  in.for_each_run([&](int64_t y, int64_t x0, int64_t x1) {
    out.set(floor_div((y - 3) * m_h, n_h) - 1, (y + 3) * m_h / n_h + 2,
            floor_div((x0 - 3) * m_w, n_w) - 1, (x1 + 2) * m_w / n_w + 2);
  });
  return out;
}

}  // namespace

ChangeMask node_changes(const Node& node, std::span<const ChangeMask* const> in,
                      std::span<const Shape* const> in_shapes, const Shape& out_shape) {
  bool any = false;
  for (const ChangeMask* m : in) any = any || (m && m->any());
  ChangeMask out(out_shape, false);
  if (!any) return out;
  if (element_wise(node.op_type)) {
    for (const ChangeMask* m : in)
      if (m) out.add(*m);
    return out;
  }
  const bool resize = node.op_type == "Resize" || node.op_type == "Upsample";
  if (resize && in[0] && ChangeMask::spatial(*in_shapes[0]) && ChangeMask::spatial(out_shape) &&
      (*in_shapes[0])[1] == out_shape[1] &&
      node.attrs.get_string("coordinate_transformation_mode", "") != "tf_crop_and_resize") {
    bool others = false;  // roi, scales, sizes: constants in any model we run
    for (size_t i = 1; i < in.size(); ++i) others = others || (in[i] && in[i]->any());
    if (!others) return resized(*in[0], out_shape);
  }
  return ChangeMask(out_shape, true);
}

}  // namespace resq
