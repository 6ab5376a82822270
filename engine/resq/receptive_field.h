// The gather half of sparse Dynamic-ResQ convolutions on 2-D windows: which output positions
// read any of a set of input pixels, and the im2col columns of just those positions.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/ops/window.h"
#include "engine/change_mask.h"

namespace resq {

// For each row and each column of a 2-D window's input, the output row / column each kernel tap
// reads it into (-1: none): what affected_outputs looks up instead of dividing per pixel and tap.
// Depends on the geometry only, so it is built once per layer.
struct TapReach {
  explicit TapReach(const Window& w);
  std::vector<int64_t> rows, cols;  // [in_h][kh], [in_w][kw]
  // Per input row / column, the outputs [first, last + 1) its taps reach; {-1, -1}: none.
  std::vector<std::pair<int64_t, int64_t>> row_spans, col_spans;
};

// Output positions (oy * out_w + ox, increasing) whose window reads at least one of
// `input_pixels` (iy * in_w + ix). `reach` is TapReach(w); `mark` is scratch. 2-D windows only.
void affected_outputs(const Window& w, const TapReach& reach, std::span<const int64_t> input_pixels,
                      std::vector<uint8_t>& mark, std::vector<int64_t>& outputs);

// Sets in `out` (the plane of window positions) every position whose window reads one of
// `input_pixels`. 2-D windows only.
void mark_reached(const Window& w, const TapReach& reach, std::span<const int64_t> input_pixels,
                  ChangeMask& out);

// columns [channels * taps][n] (row c * taps + t): for each of the n `outputs`, the pixel of
// `image` ([channels][in_h * in_w]) that tap t reads, 0 in the padding; im2col restricted to
// those positions. 2-D windows only. `origins` is scratch (3 n entries).
void gather_columns(const Window& w, int64_t channels, const float* image,
                    std::span<const int64_t> outputs, float* columns,
                    std::vector<int64_t>& origins);

}  // namespace resq
