// resq-loadgen --find-max's search: against a server that sustains exactly C streams it finds C,
// wherever C lies against the start and the limit, in few counts, and never tries one twice.
#include "server/stream_count_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

namespace resq::server {
namespace {

struct Found {
  int largest_met;
  int smallest_missed;
  std::vector<int> tried;
};

Found search(int capacity, int start, int limit) {
  StreamCountSearch s(start, limit);
  Found f{};
  while (auto n = s.next()) {
    f.tried.push_back(*n);
    if (f.tried.size() > 64) break;  // a search that does not end fails below
    s.record(*n, *n <= capacity);
  }
  f.largest_met = s.largest_met();
  f.smallest_missed = s.smallest_missed();
  return f;
}

TEST(StreamCountSearchTest, FindsTheCapacityWhereverItLies) {
  for (int start : {1, 4, 13})
    for (int limit : {start, 16, 64, 256})
      for (int capacity = 0; capacity <= limit + 3; ++capacity) {
        SCOPED_TRACE("start " + std::to_string(start) + " limit " + std::to_string(limit) +
                     " capacity " + std::to_string(capacity));
        const Found f = search(capacity, start, limit);
        EXPECT_EQ(f.largest_met, std::min(capacity, limit));
        if (capacity < limit)
          EXPECT_EQ(f.smallest_missed, capacity + 1);
        else
          EXPECT_EQ(f.smallest_missed, 0);  // the limit met: nothing above it is tried
        for (int n : f.tried) {
          EXPECT_GE(n, 1);
          EXPECT_LE(n, limit);
        }
        EXPECT_EQ(std::set<int>(f.tried.begin(), f.tried.end()).size(), f.tried.size());
        EXPECT_LE(f.tried.size(), 2 * std::ceil(std::log2(limit)) + 2);
      }
}

TEST(StreamCountSearchTest, DoublesFromTheStartThenHalvesTheGap) {
  // Capacity 8 from 4: 4 and 8 meet, 16 misses, then 12, 10, 9 miss.
  EXPECT_EQ(search(8, 4, 256).tried, (std::vector<int>{4, 8, 16, 12, 10, 9}));
  // Nothing meets: halves down to 1.
  EXPECT_EQ(search(0, 8, 64).tried, (std::vector<int>{8, 4, 2, 1}));
}

}  // namespace
}  // namespace resq::server
