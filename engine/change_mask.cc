#include "engine/change_mask.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace resq {

ChangeMask::ChangeMask(const Shape& shape, bool changed) {
  if (spatial(shape)) {
    height_ = shape[2];
    width_ = shape[3];
  }
  bits_.assign(static_cast<size_t>(pixels()), changed ? 1 : 0);
  count_ = changed ? pixels() : 0;
}

void ChangeMask::set(int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
  if (all()) return;
  runs_valid_ = false;
  y0 = std::max<int64_t>(y0, 0);
  x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, height_);
  x1 = std::min(x1, width_);
  for (int64_t y = y0; y < y1; ++y) {
    uint8_t* row = bits_.data() + y * width_;
    for (int64_t x = x0; x < x1; ++x) {
      count_ += 1 - row[x];
      row[x] = 1;
    }
  }
}

void ChangeMask::set_all() {
  runs_valid_ = false;
  std::fill(bits_.begin(), bits_.end(), 1);
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
  for (size_t i = 0; i < bits_.size(); ++i) {
    bits_[i] |= o.bits_[i];
    count += bits_[i];
  }
  count_ = count;
}

const std::vector<ChangeMask::Run>& ChangeMask::runs() const {
  if (runs_valid_) return runs_;
  runs_.clear();
  int64_t found = 0;  // the scan stops at the last set pixel
  for (int64_t y = 0; y < height_ && found < count_; ++y) {
    const uint8_t* row = bits_.data() + y * width_;
    for (int64_t x = 0; x < width_;) {
      const void* first = std::memchr(row + x, 1, static_cast<size_t>(width_ - x));
      if (!first) break;
      const int64_t x0 = static_cast<const uint8_t*>(first) - row;
      x = x0 + 1;
      while (x < width_ && row[x]) ++x;
      runs_.push_back({y, x0, x});
      found += x - x0;
    }
  }
  runs_valid_ = true;
  return runs_;
}

}  // namespace resq
