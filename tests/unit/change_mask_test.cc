#include "engine/change_mask.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "engine/change_rules.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using Runs = std::vector<std::tuple<int64_t, int64_t, int64_t>>;

Runs runs(const ChangeMask& m) {
  Runs r;
  m.for_each_run([&](int64_t y, int64_t x0, int64_t x1) { r.emplace_back(y, x0, x1); });
  return r;
}

TEST(ChangeMask, SetClipsAndCounts) {
  ChangeMask m({1, 3, 4, 6}, false);
  EXPECT_EQ(m.pixels(), 24);
  EXPECT_FALSE(m.any());
  m.set(-2, 2, 4, 9);  // clipped to rows 0-1, columns 4-5
  m.set(1, 2, 5, 6);   // already set: the count does not grow
  EXPECT_EQ(m.count(), 4);
  EXPECT_TRUE(m.test(1, 4));
  EXPECT_FALSE(m.test(2, 4));
  EXPECT_EQ(runs(m), (Runs{{0, 4, 6}, {1, 4, 6}}));
  m.set(3, 4, 0, 2);
  m.set(3, 4, 3, 6);
  EXPECT_EQ(runs(m), (Runs{{0, 4, 6}, {1, 4, 6}, {3, 0, 2}, {3, 3, 6}}));
  m.set_all();
  EXPECT_TRUE(m.all());
  EXPECT_EQ(runs(m), (Runs{{0, 0, 6}, {1, 0, 6}, {2, 0, 6}, {3, 0, 6}}));
}

// Spans cover every channel's runs; runs closer than kSpanGap elements join.
TEST(ChangeMask, SpansJoinNearbyRuns) {
  static_assert(ChangeMask::kSpanGap > 98 && ChangeMask::kSpanGap < 298);
  ChangeMask m({1, 2, 3, 600}, false);
  m.set(0, 1, 0, 2);
  m.set(0, 1, 100, 102);  // 98 apart: joined
  m.set(0, 1, 400, 600);  // 298 apart: a span of its own, which goes on into row 1
  m.set(1, 2, 0, 1);
  m.set(2, 3, 300, 301);  // flat 1500, 899 after row 1's run: a span of its own
  using Spans = std::vector<std::pair<int64_t, int64_t>>;
  Spans got;
  m.for_each_span(2, [&](int64_t b, int64_t e) { got.emplace_back(b, e); });
  EXPECT_EQ(got, (Spans{{0, 102}, {400, 601}, {1500, 1501}, {1800, 1902}, {2200, 2401}, {3300, 3301}}));
  m.set_all();
  got.clear();
  m.for_each_span(2, [&](int64_t b, int64_t e) { got.emplace_back(b, e); });
  EXPECT_EQ(got, (Spans{{0, 3600}}));
}

TEST(ChangeMask, OtherShapesAreOnePixel) {
  EXPECT_FALSE(ChangeMask::spatial({2, 3, 4, 4}));
  ChangeMask m({1, 1000}, true);
  EXPECT_EQ(m.pixels(), 1);
  EXPECT_TRUE(m.all());
  EXPECT_EQ(runs(m), (Runs{{0, 0, 1}}));
}

TEST(ChangeMask, UniteAddsPixels) {
  ChangeMask a({1, 1, 3, 3}, false), b({1, 8, 3, 3}, false);
  a.set(0, 1, 0, 2);
  b.set(0, 2, 1, 2);
  a.unite(b);
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(runs(a), (Runs{{0, 0, 2}, {1, 1, 2}}));
}

// Rectangles and unions on planes whose rows end inside, at and past a 64-pixel word, against a
// byte per pixel: the same set pixels, count and runs.
TEST(ChangeMask, MatchesAPixelByPixelMaskAcrossWordEdges) {
  std::mt19937 rng(7);
  for (int64_t width : {1, 5, 63, 64, 65, 128, 130, 200}) {
    SCOPED_TRACE("width " + std::to_string(width));
    const int64_t height = 6;
    ChangeMask a({1, 2, height, width}, false), b({1, 3, height, width}, false);
    std::vector<uint8_t> ref_a(static_cast<size_t>(height * width)), ref_b(ref_a.size());
    auto paint = [&](ChangeMask& m, std::vector<uint8_t>& ref) {
      std::uniform_int_distribution<int64_t> ys(-2, height + 1), xs(-3, width + 2);
      int64_t y0 = ys(rng), y1 = ys(rng), x0 = xs(rng), x1 = xs(rng);
      if (x1 < x0) std::swap(x0, x1);
      m.set(y0, y1, x0, x1);  // y1 < y0 sets nothing
      for (int64_t y = std::max<int64_t>(y0, 0); y < std::min(y1, height); ++y)
        for (int64_t x = std::max<int64_t>(x0, 0); x < std::min(x1, width); ++x)
          ref[static_cast<size_t>(y * width + x)] = 1;
    };
    auto check = [&](const ChangeMask& m, const std::vector<uint8_t>& ref) {
      Runs want;
      int64_t count = 0;
      for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x) {
          const bool on = ref[static_cast<size_t>(y * width + x)];
          ASSERT_EQ(m.test(y, x), on) << y << ", " << x;
          count += on;
          if (on && (x == 0 || !ref[static_cast<size_t>(y * width + x - 1)]))
            want.emplace_back(y, x, x + 1);
          else if (on)
            std::get<2>(want.back()) = x + 1;
        }
      EXPECT_EQ(m.count(), count);
      EXPECT_EQ(runs(m), want);
    };
    for (int round = 0; round < 20; ++round) {
      paint(a, ref_a);
      paint(b, ref_b);
      check(a, ref_a);
      a.unite(b);
      for (size_t i = 0; i < ref_a.size(); ++i) ref_a[i] |= ref_b[i];
      check(a, ref_a);
    }
    a.set_all();
    check(a, std::vector<uint8_t>(ref_a.size(), 1));
  }
}

TEST(ChangeMask, UniteOfOtherPlane_n) {
  ChangeMask a({1, 1, 3, 3}, false), b({1, 1, 3, 4}, true);
  try {
    a.unite(b);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("3x3 and 3x4"), std::string::npos) << e.what();
  }
}

ChangeMask rule(const std::string& op, const Attributes& a, const std::vector<const ChangeMask*>& in,
                const std::vector<Shape>& shapes, const Shape& out) {
  Node n;
  n.op_type = op;
  n.attrs = a;
  std::vector<const Shape*> s;
  for (const Shape& sh : shapes) s.push_back(&sh);
  return node_changes(n, in, s, out);
}

TEST(ChangeRules, ElementWiseIsTheUnion) {
  const Shape x{1, 4, 5, 5};
  ChangeMask a(x, false), b(x, false);
  a.set(0, 1, 0, 1);
  b.set(4, 5, 4, 5);
  ChangeMask out = rule("Add", {}, {&a, &b}, {x, x}, x);
  EXPECT_EQ(runs(out), (Runs{{0, 0, 1}, {4, 4, 5}}));
  EXPECT_EQ(runs(rule("Sigmoid", {}, {&a}, {x}, x)), runs(a));
  // A constant operand (nullptr) and an unchanged one add nothing.
  EXPECT_EQ(rule("Mul", {}, {&a, nullptr}, {x, {1, 4, 1, 1}}, x).count(), 1);
}

TEST(ChangeRules, ChangedBroadcastOperandChangesAll) {
  const Shape x{1, 4, 5, 5}, scale{1, 4, 1, 1};
  ChangeMask a(x, false), s(scale, true);
  a.set(0, 1, 0, 1);
  EXPECT_TRUE(rule("Mul", {}, {&a, &s}, {x, scale}, x).all());
  ChangeMask still(scale, false);
  EXPECT_EQ(rule("Mul", {}, {&a, &still}, {x, scale}, x).count(), 1);
  // Broadcast across channels only (the same plane): each changed pixel changes its own pixel.
  const Shape per_pixel{1, 1, 5, 5};
  ChangeMask p(per_pixel, false);
  p.set(4, 5, 4, 5);
  EXPECT_EQ(runs(rule("Mul", {}, {&a, &p}, {x, per_pixel}, x)), (Runs{{0, 0, 1}, {4, 4, 5}}));
}

TEST(ChangeMask, AddIsTheUnionOnTheSamePlaneAndAllAcrossPlanes) {
  ChangeMask a({1, 2, 3, 3}, false), same({1, 5, 3, 3}, false), other({1, 2, 1, 1}, true);
  same.set(1, 2, 1, 2);
  a.add(same);
  EXPECT_EQ(a.count(), 1);
  a.add(ChangeMask({1, 2, 1, 1}, false));  // unchanged: adds nothing
  EXPECT_EQ(a.count(), 1);
  a.add(other);
  EXPECT_TRUE(a.all());
}

TEST(ChangeRules, OtherNodesChangeAllOnceAnInputChanged) {
  const Shape x{1, 4, 5, 5}, y{1, 4};
  ChangeMask a(x, false);
  EXPECT_FALSE(rule("GlobalAveragePool", {}, {&a}, {x}, y).any());
  a.set(2, 3, 2, 3);
  EXPECT_TRUE(rule("GlobalAveragePool", {}, {&a}, {x}, y).all());
  EXPECT_TRUE(rule("Transpose", {}, {&a}, {x}, {1, 5, 5, 4}).all());
}

// Brute force: change the masked input pixels of a random image, resize both, and every output
// pixel that differs must be in the rule's mask; the mask must also leave most of the plane out.
void check_resize(const std::string& mode, const std::string& coord, int64_t h, int64_t w,
                  int64_t oh, int64_t ow, const std::vector<std::pair<int64_t, int64_t>>& pixels) {
  SCOPED_TRACE(mode + " " + coord + " " + std::to_string(h) + "x" + std::to_string(w) + " -> " +
               std::to_string(oh) + "x" + std::to_string(ow));
  const Shape in_shape{1, 2, h, w}, out_shape{1, 2, oh, ow};
  Attributes a;
  a.set("mode", mode);
  a.set("coordinate_transformation_mode", coord);
  Tensor x = testing::random_tensor(in_shape, 3), moved = x;
  Tensor sizes = Tensor::from_ints({4}, std::vector<int64_t>(out_shape));
  ChangeMask in(in_shape, false);
  for (auto [py, px] : pixels) {
    in.set(py, py + 1, px, px + 1);
    for (int64_t c = 0; c < 2; ++c) moved.f32()[(c * h + py) * w + px] += 1.5f;
  }
  auto y0 = testing::run_op("Resize", a, {&x, nullptr, nullptr, &sizes});
  auto y1 = testing::run_op("Resize", a, {&moved, nullptr, nullptr, &sizes});
  ChangeMask out = rule("Resize", a, {&in, nullptr, nullptr, nullptr}, {in_shape, {}, {}, {4}},
                        out_shape);
  int64_t differing = 0;
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t i = (c * oh + oy) * ow + ox;
        if (y0[0].f32()[i] == y1[0].f32()[i]) continue;
        ++differing;
        ASSERT_TRUE(out.test(oy, ox)) << "output (" << oy << ", " << ox << ") changed, unmarked";
      }
  EXPECT_GT(differing, 0);
  EXPECT_LT(out.count(), out.pixels() / 2);
}

TEST(ChangeRules, ResizeMarksEveryOutputAChangedPixelReaches) {
  const std::vector<std::pair<int64_t, int64_t>> corner = {{0, 0}}, far = {{15, 15}},
                                                 inside = {{7, 9}};
  for (const char* mode : {"nearest", "linear", "cubic"})
    for (const char* coord : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                              "tf_half_pixel_for_nn"})
      for (const auto& px : {corner, far, inside}) {
        check_resize(mode, coord, 16, 16, 32, 32, px);  // the model's 2x upsampling
        check_resize(mode, coord, 16, 16, 40, 24, px);  // uneven scales
        check_resize(mode, coord, 16, 16, 64, 64, px);
      }
}

TEST(ChangeRules, ResizeDownsamplingStaysLocal) {
  // Blocks, as a downsampling resize reads some pixels not at all.
  std::vector<std::pair<int64_t, int64_t>> block;
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 4; ++x) block.insert(block.end(), {{y, x}, {20 + y, 30 + x}});
  for (const char* mode : {"nearest", "linear", "cubic"})
    for (const char* coord : {"half_pixel", "asymmetric", "align_corners"})
      check_resize(mode, coord, 40, 40, 10, 13, block);
}

TEST(ChangeRules, CropAndResizeChangesAll) {
  const Shape x{1, 1, 4, 4}, y{1, 1, 8, 8};
  Attributes a;
  a.set("coordinate_transformation_mode", "tf_crop_and_resize");
  ChangeMask in(x, false);
  in.set(0, 1, 0, 1);
  EXPECT_TRUE(rule("Resize", a, {&in}, {x}, y).all());
}

}  // namespace
}  // namespace resq
