#include "engine/passes/fold_batch_norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "engine/executor.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

using namespace resq::testing;

int add_input(Graph& g, const std::string& name, const Shape& s) {
  Value v;
  v.name = name;
  v.shape = s;
  v.shape_known = true;
  const int id = g.add_value(v);
  g.inputs.push_back(id);
  return id;
}

int add_node(Graph& g, const std::string& op, std::vector<int> inputs, const Attributes& a = {}) {
  Value v;
  v.name = op + std::to_string(g.nodes.size());
  const int out = g.add_value(v);
  g.nodes.push_back({v.name, op, std::move(inputs), {out}, a});
  return out;
}

int add_bn(Graph& g, int x, int64_t c, uint32_t seed) {
  Tensor var = random_tensor({c}, seed + 3);
  for (float& v : var.floats()) v = std::abs(v) + 0.05f;
  return add_node(g, "BatchNormalization",
                  {x, g.add_constant("scale" + std::to_string(seed), random_tensor({c}, seed)),
                   g.add_constant("bias" + std::to_string(seed), random_tensor({c}, seed + 1)),
                   g.add_constant("mean" + std::to_string(seed), random_tensor({c}, seed + 2)),
                   g.add_constant("var" + std::to_string(seed), std::move(var))},
                  attrs({{"epsilon", 1e-3f}}));
}

// X -> Conv(W[, B]) -> BN -> output.
Graph conv_bn_graph(bool conv_bias, int64_t group) {
  Graph g;
  g.source = "test";
  const int x = add_input(g, "x", {1, 4, 6, 6});
  std::vector<int> conv_in = {x, g.add_constant("w", random_tensor({6, 4 / group, 3, 3}, 1))};
  if (conv_bias) conv_in.push_back(g.add_constant("b", random_tensor({6}, 2)));
  const int c = add_node(g, "Conv", conv_in, attrs({{"pads", Ints{1, 1, 1, 1}}, {"group", group}}));
  g.outputs.push_back(add_bn(g, c, 6, 10));
  return g;
}

Tensor run_graph(const Graph& g, const Tensor& x) {
  Executor ex(std::make_shared<const Graph>(g));
  return ex.run(std::vector<Tensor>{x})[0];
}

TEST(FoldBatchNorm, FoldedGraphGivesTheSameOutput) {
  for (bool bias : {true, false})
    for (int64_t group : {1, 2}) {
      SCOPED_TRACE(std::to_string(bias) + " group " + std::to_string(group));
      Graph g = conv_bn_graph(bias, group);
      const Tensor x = random_tensor({1, 4, 6, 6}, 3);
      const Tensor want = run_graph(g, x);
      const Tensor w_before = *g.values[static_cast<size_t>(g.find_value("w"))].constant;
      EXPECT_EQ(fold_batch_norm(g), 1);
      ASSERT_EQ(g.nodes.size(), 1u);
      EXPECT_EQ(g.nodes[0].op_type, "Conv");
      EXPECT_EQ(g.nodes[0].outputs[0], g.outputs[0]);
      ASSERT_EQ(g.nodes[0].inputs.size(), 3u);
      EXPECT_NE(g.nodes[0].inputs[1], g.find_value("w"));  // new constants, the old ones untouched
      expect_near(*g.values[static_cast<size_t>(g.find_value("w"))].constant, w_before, 0);
      expect_near(run_graph(g, x), want, 1e-4f);
    }
}

TEST(FoldBatchNorm, SharedWeightsStayIntact) {
  // Two convs share W; only the first feeds a BN. The second must still see the original W.
  Graph g;
  g.source = "test";
  const int x = add_input(g, "x", {1, 2, 5, 5});
  const int w = g.add_constant("w", random_tensor({3, 2, 1, 1}, 1));
  const int c1 = add_node(g, "Conv", {x, w});
  const int c2 = add_node(g, "Conv", {x, w});
  g.outputs = {add_bn(g, c1, 3, 20), c2};
  const Tensor in = random_tensor({1, 2, 5, 5}, 4);
  Executor before(std::make_shared<const Graph>(g));
  auto want = before.run(std::vector<Tensor>{in});
  EXPECT_EQ(fold_batch_norm(g), 1);
  Executor after(std::make_shared<const Graph>(g));
  auto got = after.run(std::vector<Tensor>{in});
  expect_near(got[0], want[0], 1e-4f);
  expect_near(got[1], want[1], 0);
}

TEST(FoldBatchNorm, NotFoldedWhenConvOutputHasOtherConsumers_n) {
  // The conv output feeds the BN and a second BN: folding would change what the other sees.
  Graph g = conv_bn_graph(true, 1);
  const int conv_out = g.nodes[0].outputs[0];
  g.outputs.push_back(add_bn(g, conv_out, 6, 30));
  const size_t nodes = g.nodes.size(), values = g.values.size();
  EXPECT_EQ(fold_batch_norm(g), 0);
  EXPECT_EQ(g.nodes.size(), nodes);
  EXPECT_EQ(g.values.size(), values);

  // Also when the conv output is itself a graph output.
  Graph h = conv_bn_graph(true, 1);
  h.outputs.push_back(h.nodes[0].outputs[0]);
  EXPECT_EQ(fold_batch_norm(h), 0);
  EXPECT_EQ(h.nodes.size(), 2u);
}

TEST(FoldBatchNorm, NotFoldedWhenNotApplicable_n) {
  {  // BN parameters are not constants (scale is a graph input).
    Graph g = conv_bn_graph(true, 1);
    g.nodes[1].inputs[1] = add_input(g, "scale_in", {6});
    EXPECT_EQ(fold_batch_norm(g), 0);
  }
  {  // Conv weight is not a constant.
    Graph g = conv_bn_graph(false, 1);
    g.nodes[0].inputs[1] = add_input(g, "w_in", {6, 4, 3, 3});
    EXPECT_EQ(fold_batch_norm(g), 0);
  }
  {  // Training mode.
    Graph g = conv_bn_graph(true, 1);
    g.nodes[1].attrs.set("training_mode", int64_t{1});
    EXPECT_EQ(fold_batch_norm(g), 0);
  }
  {  // BN on a graph input (no producing conv).
    Graph g;
    g.source = "test";
    g.outputs.push_back(add_bn(g, add_input(g, "x", {1, 3, 2, 2}), 3, 40));
    EXPECT_EQ(fold_batch_norm(g), 0);
  }
  {  // Malformed BN (parameters of the wrong length) is left for the op to report.
    Graph g = conv_bn_graph(true, 1);
    g.nodes[1].inputs[4] = g.add_constant("short_var", random_tensor({5}, 50));
    EXPECT_EQ(fold_batch_norm(g), 0);
    EXPECT_THROW(Executor(std::make_shared<const Graph>(g)), ModelError);
  }
}

}  // namespace
}  // namespace resq
