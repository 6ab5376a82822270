// Activation range setting by output-error line search (Eq. 8).
//
// Candidate grid: the paper builds S = linspace(min X, max X, r) and picks (r_min, r_max) in S.
// Our quantizer is symmetric, so its scale depends only on the magnitude max(r_max, -r_min);
// we therefore search the r clip values c_k = k / r * max|X|, k = 1..r, i.e. clipping the
// largest magnitude to fractions 1/r, 2/r, ..., 1 (the last one is the full min-max range).
//
// Objective: the layer OUTPUT error || Y_ref - f(q(X)) ||_F over all calibration samples
// stacked into one batch, as in the paper (the square root of the summed squared errors).
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "engine/quant/uniform_quantizer.h"
#include "engine/tensor.h"

namespace resq {

// Runs the layer (with its already quantized weights) on one input. `out` arrives sized like
// the reference output; it must hold that shape on return.
using LayerForward = std::function<void(const Tensor& in, Tensor& out)>;

struct RangeSearchResult {
  UniformQuantizer quantizer;   // the chosen one
  std::vector<double> clips;    // candidate clip values, ascending
  std::vector<double> errors;   // output error per candidate
  size_t best = 0;              // index of the chosen candidate (the first minimum)
};

// Picks among `num_candidates` clip values the one minimising the output error of `forward` on
// the quantized `inputs` against `reference_outputs` (one per input, same order). With 0 bits,
// or calibration data that is all zeros, there is nothing to search: a single candidate
// (clip max|X|) is evaluated. Throws std::invalid_argument for bad bits, mismatched or empty
// samples, non-float inputs, num_candidates < 1, or a forward output of the wrong shape.
RangeSearchResult search_activation_range(std::span<const Tensor> inputs,
                                          std::span<const Tensor> reference_outputs,
                                          const LayerForward& forward, int bits,
                                          int num_candidates);

}  // namespace resq
