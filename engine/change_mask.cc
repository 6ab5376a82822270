#include "engine/change_mask.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "engine/capacity_bytes.h"
#include <string>

namespace resq {
namespace {

// Bits [lo, hi) of a word, 0 <= lo < hi <= 64.
uint64_t bit_range(int64_t lo, int64_t hi) {
  const uint64_t upto_hi = hi == 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
  return upto_hi & ~((uint64_t{1} << lo) - 1);
}

}  // namespace

ChangeMask::ChangeMask(const Shape& shape, bool changed) {
  if (spatial(shape)) {
    height_ = shape[2];
    width_ = shape[3];
  }
  row_words_ = (width_ + 63) / 64;
  words_.assign(static_cast<size_t>(height_ * row_words_), 0);
  if (changed) set_all();
}

void ChangeMask::set(int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
  if (all()) return;
  y0 = std::max<int64_t>(y0, 0);
  x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, height_);
  x1 = std::min(x1, width_);
  if (y0 >= y1 || x0 >= x1) return;
  runs_valid_ = false;
  const int64_t w0 = x0 / 64, w1 = (x1 - 1) / 64;
  for (int64_t y = y0; y < y1; ++y) {
    uint64_t* row = words_.data() + y * row_words_;
    for (int64_t w = w0; w <= w1; ++w) {
      const uint64_t bits =
          bit_range(w == w0 ? x0 % 64 : 0, w == w1 ? x1 - w1 * 64 : 64);
      count_ += std::popcount(bits & ~row[w]);
      row[w] |= bits;
    }
  }
}

void ChangeMask::set_all() {
  runs_valid_ = false;
  const uint64_t last = bit_range(0, width_ - (row_words_ - 1) * 64);
  for (int64_t y = 0; y < height_; ++y) {
    uint64_t* row = words_.data() + y * row_words_;
    std::fill(row, row + row_words_ - 1, ~uint64_t{0});
    row[row_words_ - 1] = last;
  }
  count_ = pixels();
}

void ChangeMask::unite(const ChangeMask& o) {
  if (!same_plane(o))
    throw std::invalid_argument("ChangeMask::unite: planes " + std::to_string(height_) + "x" +
                                std::to_string(width_) + " and " + std::to_string(o.height_) +
                                "x" + std::to_string(o.width_) + " differ");
  if (o.count_ == 0 || all()) return;
  runs_valid_ = false;
  int64_t count = 0;
  for (size_t i = 0; i < words_.size(); ++i) {
    words_[i] |= o.words_[i];
    count += std::popcount(words_[i]);
  }
  count_ = count;
}

const std::vector<ChangeMask::Run>& ChangeMask::runs() const {
  if (runs_valid_) return runs_;
  runs_.clear();
  int64_t found = 0;  // the scan stops at the last set pixel
  for (int64_t y = 0; y < height_ && found < count_; ++y) {
    const uint64_t* row = words_.data() + y * row_words_;
    int64_t x = 0;  // the first pixel not yet scanned
    while (x < width_) {
      // The next set bit at or after x.
      int64_t w = x / 64;
      uint64_t bits = row[w] & ~((uint64_t{1} << (x % 64)) - 1);
      while (bits == 0 && ++w < row_words_) bits = row[w];
      if (bits == 0) break;
      const int64_t x0 = w * 64 + std::countr_zero(bits);
      // The next clear bit after x0 (bits past the width are clear).
      uint64_t clear = ~row[w] & ~((uint64_t{1} << (x0 % 64)) - 1);
      while (clear == 0 && ++w < row_words_) clear = ~row[w];
      x = clear == 0 ? width_ : std::min(width_, w * 64 + std::countr_zero(clear));
      runs_.push_back({y, x0, x});
      found += x - x0;
    }
  }
  runs_valid_ = true;
  return runs_;
}

size_t ChangeMask::bytes() const { return capacity_bytes(words_) + capacity_bytes(runs_); }

}  // namespace resq
