// The Dynamic-ResQ policy (Eq. 9-11) for one layer's residual: per pixel, the error bound
// eps_k = ||delta(p) - q_k(delta(p))|| * ||q(w)|| of every pool quantizer (lowest bits first);
// the pixel takes the first k whose next quantizer would reduce the bound by no more than tau.
//
// Sparse: a pixel stays at the first pool entry whenever that entry's bound is itself <= tau (no
// later entry can reduce the bound by more than all of it), so with a 0-bit first entry, whose
// bound needs no quantizer (||delta(p)|| * ||q(w)||), only the other pixels, the candidates, are
// quantized at all; on a static camera that is a small share. The decisions are exactly those of
// evaluating every entry at every pixel.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/ops/epilogue.h"
#include "engine/quant/uniform_quantizer.h"
#include "engine/resq/phase_clock.h"
#include "engine/resq/pixel_layout.h"
#include "engine/change_mask.h"

namespace resq {

class PixelBitPolicy {
 public:
  // `pool`: one quantizer per pool entry, std::nullopt for near float (no error). The residual is
  // x - x_k (never stored whole), both in the layer's input layout `px`. `may_differ`, for a
  // batch-1 conv input, holds the pixels outside which x equals x_k: with a 0-bit first entry
  // only spans around them are read (all of them once they are most of the plane); the decisions
  // are the same. Throws std::invalid_argument for an empty pool or inputs whose size does not
  // match the layout.
  //
  // x_k as a keyframe kept it: the values, or (where the layer's input is the previous layer's
  // output through a fused activation, which the keyframe kept before it as z_k) the values
  // through that activation, computed as they are read. Not kTimesHardSigmoid.
  struct KeyframeInput {
    std::span<const float> values;
    Epilogue::Activation activation = Epilogue::Activation::kNone;
    float lo = 0, hi = 0;  // kClip's bounds
  };
  void choose(std::span<const float> x, const KeyframeInput& x_k, const PixelLayout& px,
              std::span<const std::optional<UniformQuantizer>> pool, double w_norm, double tau,
              const ChangeMask* may_differ = nullptr);
  // x_k as choose() reads it, whole: the kept values through the activation, written to `out`
  // (as many floats). For what reads x_k directly (ResQ's residual frames).
  static void write_keyframe_input(const KeyframeInput& x_k, std::span<float> out);
  void choose(std::span<const float> x, std::span<const float> x_k, const PixelLayout& px,
              std::span<const std::optional<UniformQuantizer>> pool, double w_norm, double tau,
              const ChangeMask* may_differ = nullptr) {
    choose(x, KeyframeInput{x_k}, px, pool, w_norm, tau, may_differ);
  }

  // Wall-clock of choose()'s passes (ms), measured while timing is on, else 0: the first pass
  // over the residual, the candidate test, gathering the candidates' residual, their errors at
  // every pool entry, and picking the entries.
  struct Times {
    double read = 0, test = 0, gather = 0, quantize = 0, choose = 0;
  };
  void set_timing(bool on) { clock_.set_on(on); }
  const Times& times() const { return times_; }  // of the last choose()

  // Pixels in a band of the first pass, which reads x and x_k of every channel (kBandBytes of
  // L2) before its candidates are tested and gathered.
  static constexpr int64_t kBandBytes = 768 * 1024;
  static int64_t band_pixels(int64_t channels);

  // Pixels whose residual was read: all but those `may_differ` let it leave out.
  int64_t pixels_read() const { return pixels_read_; }
  // Pixels (o * inner + i, increasing) whose entry was evaluated; every other pixel is at entry 0.
  const std::vector<int64_t>& candidates() const { return candidates_; }
  // Pool entry of candidate j.
  int choice(size_t j) const { return choice_[j]; }
  // The candidates' residual, [channel][j] in rows of residual_stride() floats.
  const float* residual() const { return residual_.data(); }
  int64_t residual_stride() const { return stride_; }
  // The candidates' levels at quantized entry k, [channel][j] (rows of candidates().size()).
  const float* levels(size_t k) const { return levels_[k].data(); }
  // Heap bytes of its buffers.
  size_t bytes() const;

 private:
  PhaseClock clock_;
  Times times_;
  int64_t pixels_read_ = 0;
  std::vector<int64_t> candidates_;
  struct Block {  // the candidates among kLanes neighbouring pixels: x's values from `offset` on
    int64_t offset;
    unsigned mask;  // bit i: the pixel at offset + i is a candidate
  };
  std::vector<Block> blocks_;
  std::vector<int> choice_;
  int64_t stride_ = 0;
  std::vector<float> residual_;
  std::vector<std::vector<float>> levels_;  // by pool entry; empty for entries without levels
  // Entry 0's squared error per pixel: in float where a margin decides, else in double.
  std::vector<float> first_error_f_;
  std::vector<double> first_error_;
  std::vector<float> error_;                // [entry][candidate]: squared error, then its root
  std::vector<uint8_t> unsure_;             // per candidate: decided again in double
  int64_t channels_ = 0;
  template <class Key>
  void choose_with(std::span<const float> x, std::span<const float> x_k, Key key,
                   const PixelLayout& px, std::span<const std::optional<UniformQuantizer>> pool,
                   double w_norm, double tau, const ChangeMask* may_differ);
  // Candidate j's entry from its bounds summed in double, as every pixel evaluated decides.
  int exact_choice(int64_t j, std::span<const std::optional<UniformQuantizer>> pool, double w_norm,
                   double tau) const;
};

}  // namespace resq
