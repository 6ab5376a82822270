#include "engine/ops/broadcast.h"

#include <algorithm>

#include "engine/error.h"

namespace resq {

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: missing leading dims count as 1.
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw OpError("shapes " + shape_str(a) + " and " + shape_str(b) +
                    " cannot be broadcast (dim " + std::to_string(i) + ": " + std::to_string(da) +
                    " vs " + std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// Element strides of `in` (right-aligned) along each dim of `out`, 0 where broadcast.
std::vector<int64_t> strides_in(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    size_t in_d = in.size() - 1 - k;
    size_t out_d = out.size() - 1 - k;
    if (in[in_d] != 1) strides[out_d] = stride;
    stride *= in[in_d];
  }
  return strides;
}

}  // namespace

BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, const Shape& out) {
  BroadcastPlan p;
  if (shape_numel(out) == 0) {
    p.dims = {0};
    p.a_strides = {0};
    p.b_strides = {0};
    return p;
  }
  const std::vector<int64_t> sa = strides_in(a, out), sb = strides_in(b, out);
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    // Dim d continues the previous one in memory for both inputs: merge them.
    if (!p.dims.empty() && p.a_strides.back() == sa[d] * out[d] &&
        p.b_strides.back() == sb[d] * out[d]) {
      p.dims.back() *= out[d];
      p.a_strides.back() = sa[d];
      p.b_strides.back() = sb[d];
      continue;
    }
    p.dims.push_back(out[d]);
    p.a_strides.push_back(sa[d]);
    p.b_strides.push_back(sb[d]);
  }
  if (p.dims.empty()) {
    p.dims = {1};
    p.a_strides = {0};
    p.b_strides = {0};
  }
  return p;
}

}  // namespace resq
