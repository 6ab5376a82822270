// Which pixels of a value may differ from its value on the keyframe (Dynamic-ResQ change
// tracking, Executor::set_tracking): the spatial plane of a batch-1 [1, C, H, W] tensor, all
// channels of a pixel together; any other shape is one "pixel". An element outside the set
// pixels equals the keyframe's bit for bit, so work there can be skipped.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace resq {

class ChangeMask {
 public:
  ChangeMask() = default;
  // The plane of a value of this shape, every pixel set to `changed`.
  ChangeMask(const Shape& shape, bool changed);
  // True when `shape` has a spatial plane ([1, C, H, W]); other shapes are one pixel.
  static bool spatial(const Shape& shape) { return shape.size() == 4 && shape[0] == 1; }

  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t pixels() const { return height_ * width_; }
  bool test(int64_t y, int64_t x) const {
    return (words_[static_cast<size_t>(y * row_words_ + x / 64)] >> (x % 64)) & 1;
  }
  // Sets rows [y0, y1) x columns [x0, x1), clipped to the plane.
  void set(int64_t y0, int64_t y1, int64_t x0, int64_t x1);
  void set_all();
  bool any() const { return count_ > 0; }
  bool all() const { return count_ == pixels(); }
  int64_t count() const { return count_; }  // set pixels
  bool same_plane(const ChangeMask& o) const { return height_ == o.height_ && width_ == o.width_; }
  // True for the plane of a [1, C, height, width] shape.
  bool plane_of(const Shape& shape) const {
    return spatial(shape) && shape[2] == height_ && shape[3] == width_;
  }
  // Adds o's pixels (same plane).
  void unite(const ChangeMask& o);
  // Adds the pixels that o's changes reach in a value of this plane: o's own on the same plane
  // (o may have other channels: a pixel is all of its channels), every pixel when o is of
  // another plane (an operand broadcast across this one).
  void add(const ChangeMask& o) {
    if (!o.any()) return;
    if (same_plane(o))
      unite(o);
    else
      set_all();
  }

  // Calls f(y, x0, x1) for each run [x0, x1) of set pixels in row y, in increasing y then x:
  // the order of the pixels y * width + x.
  template <class F>
  void for_each_run(F f) const {
    for (const Run& r : runs()) f(r.y, r.x0, r.x1);
  }

  // Heap bytes of its words and runs.
  size_t bytes() const;

  // Calls f(begin, end) for flat element ranges of a [1, channels, H, W] tensor that cover the
  // set pixels of every channel plane, in increasing order. Runs less than kSpanGap elements
  // apart are joined (fewer, longer ranges; a range may hold unset pixels).
  static constexpr int64_t kSpanGap = 256;
  template <class F>
  void for_each_span(int64_t channels, F f) const {
    if (all()) return f(int64_t{0}, channels * pixels());
    const std::vector<Run>& r = runs();
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t plane = c * pixels();
      for (size_t i = 0; i < r.size();) {
        const int64_t begin = r[i].y * width_ + r[i].x0;
        int64_t end = r[i].y * width_ + r[i].x1;
        for (++i; i < r.size() && r[i].y * width_ + r[i].x0 - end < kSpanGap; ++i)
          end = r[i].y * width_ + r[i].x1;
        f(plane + begin, plane + end);
      }
    }
  }

 private:
  struct Run {
    int64_t y, x0, x1;
  };
  // The runs of set pixels, found once after the last change.
  const std::vector<Run>& runs() const;

  // A bit per pixel, each row starting a word: a rectangle is a few word ORs per row, and a union
  // or a run search takes 64 pixels at a time.
  int64_t height_ = 1, width_ = 1, row_words_ = 1, count_ = 0;
  std::vector<uint64_t> words_ = std::vector<uint64_t>(1, 0);
  mutable std::vector<Run> runs_;
  mutable bool runs_valid_ = false;
};

}  // namespace resq
