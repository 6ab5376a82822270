// Numpy-style multidirectional broadcasting, shared by the binary ops and PRelu.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace resq {

// Shape of broadcasting a with b; throws OpError naming both shapes when incompatible.
Shape broadcast_shape(const Shape& a, const Shape& b);

// How to walk out = f(a, b) when a and b broadcast to `out`. Size-1 output dims are dropped
// and adjacent dims merged where both inputs allow, so equal shapes, a scalar side and a
// per-channel [1,C,1,1] side all become a few long rows with a stride of 0 or 1.
struct BroadcastPlan {
  Shape dims;                      // coalesced output dims, innermost last; never empty
  std::vector<int64_t> a_strides;  // element strides of a along dims (0 = broadcast)
  std::vector<int64_t> b_strides;
};
BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, const Shape& out);

// Calls row(out_offset, a_offset, b_offset) for every innermost row; a row has
// plan.dims.back() elements and steps a and b by a_strides.back() and b_strides.back().
template <class Row>
void for_each_row(const BroadcastPlan& p, Row&& row) {
  const size_t outer_rank = p.dims.size() - 1;
  int64_t rows = 1;
  for (size_t d = 0; d < outer_rank; ++d) rows *= p.dims[d];
  const int64_t n = p.dims.back();
  std::vector<int64_t> idx(outer_rank, 0);
  int64_t a_off = 0, b_off = 0;
  for (int64_t r = 0; r < rows; ++r) {
    row(r * n, a_off, b_off);
    for (size_t d = outer_rank; d-- > 0;) {
      a_off += p.a_strides[d];
      b_off += p.b_strides[d];
      if (++idx[d] < p.dims[d]) break;
      a_off -= p.a_strides[d] * p.dims[d];
      b_off -= p.b_strides[d] * p.dims[d];
      idx[d] = 0;
    }
  }
}

}  // namespace resq
