#include "engine/eval/eval_grid.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace resq {
namespace {

TEST(EvalGrid, ExpandsListsToTheirProduct) {
  const auto grid = parse_grid(R"(# comment line
W4A4   # frame quantization
W8A8->W4A4 T=2,4
W8A8->W8A{0,4,8} T=3,6 tau=1,3,10
fp32->skip T=2
)",
                               "g");
  std::vector<std::string> labels;
  for (const EvalConfig& c : grid) labels.push_back(c.label());
  EXPECT_EQ(labels, (std::vector<std::string>{
                        "W4A4", "W8A8->W4A4 T=2", "W8A8->W4A4 T=4",
                        "W8A8->W8A{0,4,8} T=3 tau=1", "W8A8->W8A{0,4,8} T=3 tau=3",
                        "W8A8->W8A{0,4,8} T=3 tau=10", "W8A8->W8A{0,4,8} T=6 tau=1",
                        "W8A8->W8A{0,4,8} T=6 tau=3", "W8A8->W8A{0,4,8} T=6 tau=10",
                        "fp32->skip T=2"}));
  EXPECT_EQ(grid[2].stream.period, 4);
  EXPECT_EQ(grid[3].stream.tau, 1.0);
  EXPECT_EQ(grid[0].stream.period, 1);
}

// The issue's default grid: 7 frame/fp32, 5 ResQ x 5 T, 3 Dynamic-ResQ x 2 T x 6 tau, 2 skip x 5 T.
TEST(EvalGrid, DefaultGrid) {
  const auto grid = parse_grid(kDefaultGrid, "default grid");
  EXPECT_EQ(grid.size(), 7u + 25u + 36u + 10u);
  std::set<std::string> labels;
  std::set<double> taus;
  for (const EvalConfig& c : grid) {
    labels.insert(c.label());
    if (c.has_tau()) taus.insert(c.stream.tau);
  }
  EXPECT_EQ(labels.size(), grid.size());
  EXPECT_TRUE(labels.count("W8A8->W8A{0,3,4} T=6 tau=3"));
  EXPECT_TRUE(labels.count("W8A8->skip T=8"));
  EXPECT_TRUE(taus.count(0.0003));  // the paper's value, to show what it means in our units
  EXPECT_GE(taus.size(), 5u);
}

TEST(EvalGrid, Rejections_n) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "g: the grid lists no configuration"},
      {"# only a comment", "lists no configuration"},
      {"W8A8\nW9A9", "g:2: bit config \"W9A9\""},
      {"W8A8 T=2", "g:1: W8A8 takes no T"},
      {"W8A8->W4A4", "g:1: W8A8->W4A4 needs T=..."},
      {"W8A8->W4A4 T=0", "T '0' is not an integer >= 1"},
      {"W8A8->W4A4 T=2,x", "T 'x' is not an integer >= 1"},
      {"W8A8->W4A4 T=2,", "T '' is not an integer >= 1"},
      {"W8A8->W4A4 T=2 tau=3", "takes no tau"},
      {"W8A8->W8A{0,8} T=2", "needs tau=..."},
      {"W8A8->W8A{0,8} T=2 tau=-1", "tau '-1' is not a number >= 0"},
      {"W8A8->W8A{0,8} T=2 tau=nan", "tau 'nan' is not a number >= 0"},
      {"W8A8->W8A{0,8} T=2 T=3 tau=1", "'T=3' given twice"},
      {"W8A8->W4A4 period=2", "unknown field 'period=2'"},
  };
  for (const auto& [text, reason] : cases) {
    try {
      parse_grid(text, "g");
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace resq
