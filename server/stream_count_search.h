// Which stream counts resq-loadgen --find-max tries: the largest count a server sustains, found
// in a logarithmic number of counts. Counts double from the start while they meet the target,
// then the gap between the largest met and the smallest missed count is halved until they are
// neighbours. Assumes that a count that meets implies every smaller one does (noise aside: the
// loadgen decides each count by a majority of repeated runs).
#pragma once

#include <algorithm>
#include <optional>

namespace resq::server {

class StreamCountSearch {
 public:
  // Counts from `start` up to `limit` (1 <= start <= limit).
  StreamCountSearch(int start, int limit) : start_(start), limit_(limit) {}

  // The next count to try; nullopt once the largest one that meets is known.
  std::optional<int> next() const {
    if (!tried_) return start_;
    if (missed_ == 0) {  // every count so far met: double, unless at the limit
      if (met_ == limit_) return std::nullopt;
      return std::min(2 * met_, limit_);
    }
    if (missed_ - met_ <= 1) return std::nullopt;
    return met_ + (missed_ - met_) / 2;
  }

  // Whether `streams` (the count next() gave) met the target.
  void record(int streams, bool met) {
    tried_ = true;
    if (met)
      met_ = std::max(met_, streams);
    else
      missed_ = missed_ == 0 ? streams : std::min(missed_, streams);
  }

  // The largest count that met (0: none did, not even 1 when the search reached it).
  int largest_met() const { return met_; }
  // The smallest count that missed; 0 when none did.
  int smallest_missed() const { return missed_; }

 private:
  int start_, limit_;
  bool tried_ = false;
  int met_ = 0, missed_ = 0;
};

}  // namespace resq::server
