#include "engine/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "engine/value_buffers.h"
#include "tests/unit/op_testing.h"

namespace resq {
namespace {

Value named(const std::string& name) {
  Value v;
  v.name = name;
  return v;
}

// Adds graph input "x" of a known shape; returns its value index.
int add_input(Graph& g, Shape shape) {
  Value x = named("x");
  x.shape = std::move(shape);
  x.shape_known = true;
  const int xi = g.add_value(x);
  g.inputs.push_back(xi);
  return xi;
}

// x -> Relu -> r; r + bias -> y
Graph relu_add_graph(Shape input_shape = {1, 3}) {
  Graph g;
  g.source = "mini.onnx";
  add_input(g, std::move(input_shape));
  int r = g.add_value(named("r"));
  int bias = g.add_constant("bias", Tensor::from_floats({3}, std::vector<float>{1, 2, 3}));
  int y = g.add_value(named("y"));
  g.nodes.push_back({"relu1", "Relu", {g.inputs[0]}, {r}, {}});
  g.nodes.push_back({"add1", "Add", {r, bias}, {y}, {}});
  g.outputs.push_back(y);
  return g;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(Executor, RunsNodesInOrderAndReusesBuffers) {
  Executor ex(std::make_shared<Graph>(relu_add_graph()));
  std::vector<Tensor> in = {Tensor::from_floats({1, 3}, std::vector<float>{-1, 0.5f, 2})};
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Tensor> out = ex.run(in);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), (Shape{1, 3}));
    EXPECT_FLOAT_EQ(out[0].f32()[0], 1.0f);
    EXPECT_FLOAT_EQ(out[0].f32()[1], 2.5f);
    EXPECT_FLOAT_EQ(out[0].f32()[2], 5.0f);
  }
  EXPECT_TRUE(ex.values()[static_cast<size_t>(ex.graph().outputs[0])].known);
}

// Storage of values whose last reader has run serves later outputs: a value read again much later
// (a) and a graph output that is also read inside (d) must survive, over runs with new inputs.
TEST(Executor, ReleasedStorageNeverHoldsALiveValue) {
  Graph g;
  g.source = "chain.onnx";
  add_input(g, {2, 40});
  const int a = g.add_value(named("a")), b = g.add_value(named("b")), c = g.add_value(named("c"));
  const int d = g.add_value(named("d")), e = g.add_value(named("e"));
  g.nodes.push_back({"relu_a", "Relu", {g.inputs[0]}, {a}, {}});
  g.nodes.push_back({"sigmoid_b", "Sigmoid", {a}, {b}, {}});
  g.nodes.push_back({"relu_c", "Relu", {b}, {c}, {}});
  g.nodes.push_back({"add_d", "Add", {c, a}, {d}, {}});
  g.nodes.push_back({"add_e", "Add", {d, g.inputs[0]}, {e}, {}});
  g.outputs = {d, e};
  Executor ex(std::make_shared<Graph>(g));
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<float> xs(80);
    for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i % 9) - 4.0f + 0.5f * pass;
    std::vector<Tensor> out = ex.run(std::vector<Tensor>{Tensor::from_floats({2, 40}, xs)});
    ASSERT_EQ(out.size(), 2u);
    for (size_t i = 0; i < xs.size(); ++i) {
      const float av = std::max(xs[i], 0.0f), bv = 1.0f / (1.0f + std::exp(-av));
      EXPECT_NEAR(out[0].f32()[i], bv + av, 1e-6f) << "pass " << pass << ", d[" << i << "]";
      EXPECT_NEAR(out[1].f32()[i], bv + av + xs[i], 1e-6f) << "pass " << pass << ", e[" << i << "]";
    }
  }
}

// Executors of one graph on one thread keep their values in the thread's buffers (ValueBuffers):
// a second executor adds nothing, each keeps none of its own, results are unchanged; another
// thread has a set of its own, freed when it ends; change tracking keeps its own buffers.
TEST(Executor, ExecutorsOfOneGraphShareTheThreadsBuffers) {
  Graph g;
  g.source = "relu_add.onnx";
  add_input(g, {1, 4096});
  const int r = g.add_value(named("r")), y = g.add_value(named("y"));
  g.nodes.push_back({"relu", "Relu", {g.inputs[0]}, {r}, {}});
  g.nodes.push_back({"add", "Add", {r, g.inputs[0]}, {y}, {}});
  g.outputs.push_back(y);
  const auto graph = std::make_shared<const Graph>(std::move(g));
  std::vector<float> xs(4096);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i % 7) - 3.0f;
  const std::vector<Tensor> in = {Tensor::from_floats({1, 4096}, xs)};
  const int64_t before = ValueBuffers::thread_bytes(), shared_before = ValueBuffers::shared_bytes();
  Executor a(graph), b(graph);
  const Tensor out_a = a.run(in)[0];
  const int64_t one_set = ValueBuffers::thread_bytes() - before;
  EXPECT_GE(one_set, static_cast<int64_t>(4096 * sizeof(float)));
  const Tensor out_b = b.run(in)[0];
  EXPECT_EQ(ValueBuffers::thread_bytes() - before, one_set);
  EXPECT_EQ(ValueBuffers::shared_bytes() - shared_before, one_set);
  EXPECT_EQ(a.buffer_bytes(), 0);
  EXPECT_EQ(b.buffer_bytes(), 0);
  for (size_t i = 0; i < xs.size(); ++i) {
    ASSERT_EQ(out_a.f32()[i], std::max(xs[i], 0.0f) + xs[i]) << i;
    ASSERT_EQ(out_b.f32()[i], out_a.f32()[i]) << i;
  }
  std::thread([&] {
    Executor c(graph);
    c.run(in);
    EXPECT_EQ(ValueBuffers::thread_bytes(), one_set);
    EXPECT_EQ(ValueBuffers::shared_bytes() - shared_before, 2 * one_set);
  }).join();
  EXPECT_EQ(ValueBuffers::shared_bytes() - shared_before, one_set);  // the thread's set is gone
  Executor tracked(graph);
  tracked.set_tracking(Executor::Tracking::kReference);
  tracked.run(in);
  EXPECT_GE(tracked.buffer_bytes(), static_cast<int64_t>(4096 * sizeof(float)));
}

TEST(Executor, NodeTimingIsOffByDefaultAndRestartsWhenTurnedOn) {
  Executor ex(std::make_shared<Graph>(relu_add_graph()));
  std::vector<Tensor> in = {Tensor::from_floats({1, 3}, std::vector<float>{-1, 0.5f, 2})};
  ex.run(in);
  EXPECT_TRUE(ex.node_ms().empty());
  ex.set_node_timing(true);
  ASSERT_EQ(ex.node_ms().size(), 2u);
  EXPECT_EQ(ex.node_ms()[0] + ex.node_ms()[1], 0.0);
  double before = 0;
  for (int pass = 0; pass < 3; ++pass) {
    ex.run(in);
    const double total = ex.node_ms()[0] + ex.node_ms()[1];
    EXPECT_GT(total, before);  // every run adds its nodes' time
    before = total;
  }
  ex.set_node_timing(true);
  EXPECT_EQ(ex.node_ms()[0] + ex.node_ms()[1], 0.0);
  ex.set_node_timing(false);
  ex.run(in);
  EXPECT_TRUE(ex.node_ms().empty());
}

// Change tracking: changes() exists only during kChanges runs; outside them a runner's write
// region is everything. The values and outputs are those of an untracked run.
TEST(Executor, ChangeTrackingOutsideItsRuns) {
  auto graph = std::make_shared<Graph>(relu_add_graph({1, 2, 2, 3}));
  Executor tracked(graph), plain(graph);
  std::vector<Tensor> in = {testing::random_tensor({1, 2, 2, 3}, 4)};
  EXPECT_EQ(tracked.changes(graph->inputs[0]), nullptr);
  tracked.set_tracking(Executor::Tracking::kChanges);
  EXPECT_EQ(tracked.changes(graph->inputs[0]), nullptr);  // no run yet
  ChangeMask some({1, 2, 2, 3}, false);
  some.set(0, 1, 0, 1);
  EXPECT_TRUE(tracked.write_region(some).all());
  for (auto mode : {Executor::Tracking::kReference, Executor::Tracking::kChanges,
                    Executor::Tracking::kOff, Executor::Tracking::kChanges}) {
    tracked.set_tracking(mode);
    const std::vector<Tensor> got = tracked.run(in), want = plain.run(in);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(std::memcmp(got[0].f32(), want[0].f32(), sizeof(float) * 12), 0);
  }
  EXPECT_TRUE(tracked.write_region(some).all());  // after the run
}

TEST(Executor, UnknownOp_n) {
  Graph g = relu_add_graph();
  g.nodes[0].op_type = "FancyOp";
  std::string msg = error_of([&] { Executor ex(std::make_shared<Graph>(g)); });
  EXPECT_NE(msg.find("mini.onnx"), std::string::npos) << msg;
  EXPECT_NE(msg.find("relu1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FancyOp"), std::string::npos) << msg;
}

TEST(Executor, UndefinedInput_n) {
  Graph g = relu_add_graph();
  g.values[2].constant.reset();  // "bias" is now neither input, initializer nor produced
  std::string msg = error_of([&] { Executor ex(std::make_shared<Graph>(g)); });
  EXPECT_NE(msg.find("add1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'bias'"), std::string::npos) << msg;
}

TEST(Executor, DeclaredShapeMismatch_n) {
  Graph g = relu_add_graph();
  g.values[3].shape = {1, 4};
  g.values[3].shape_known = true;
  std::string msg = error_of([&] { Executor ex(std::make_shared<Graph>(g)); });
  EXPECT_NE(msg.find("1x4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1x3"), std::string::npos) << msg;
}

TEST(Executor, BroadcastErrorAtLoad_n) {
  std::string msg = error_of([] { Executor ex(std::make_shared<Graph>(relu_add_graph({1, 4}))); });
  EXPECT_NE(msg.find("add1"), std::string::npos) << msg;
}

TEST(Executor, WrongInputAtRun_n) {
  Executor ex(std::make_shared<Graph>(relu_add_graph()));
  std::vector<Tensor> wrong_shape = {Tensor({1, 4})};
  EXPECT_NE(error_of([&] { ex.run(wrong_shape); }).find("'x'"), std::string::npos);
  std::vector<Tensor> wrong_type = {Tensor({1, 3}, DType::kInt64)};
  EXPECT_NE(error_of([&] { ex.run(wrong_type); }).find("float32"), std::string::npos);
  EXPECT_THROW(ex.run({}), ModelError);
  // The executor is still usable after rejected inputs.
  std::vector<Tensor> ok = {Tensor({1, 3})};
  EXPECT_FLOAT_EQ(ex.run(ok)[0].f32()[2], 3.0f);
}

TEST(Executor, ShapeKnownOnlyAtRunTime) {
  Graph g = relu_add_graph({-1, 3});
  Executor ex(std::make_shared<Graph>(g));
  std::vector<Tensor> in = {Tensor({2, 3})};
  EXPECT_EQ(ex.run(in)[0].shape(), (Shape{2, 3}));
  std::vector<Tensor> bad = {Tensor({2, 5})};
  std::string msg = error_of([&] { ex.run(bad); });
  EXPECT_NE(msg.find("'x'"), std::string::npos) << msg;
}

// x -> Conv(w const) -> c -> Relu -> y ; and a MatMul whose weight is a graph input (not linear).
Graph conv_relu_graph() {
  Graph g;
  g.source = "conv.onnx";
  add_input(g, {1, 1, 2, 2});
  int w = g.add_constant("w", Tensor::from_floats({1, 1, 1, 1}, std::vector<float>{2}));
  int c = g.add_value(named("c"));
  int y = g.add_value(named("y"));
  g.nodes.push_back({"conv", "Conv", {g.inputs[0], w}, {c}, {}});
  g.nodes.push_back({"relu", "Relu", {c}, {y}, {}});
  g.outputs.push_back(y);
  return g;
}

// Computes the layer with its own op, then adds 1: proves the runner's output is what flows on.
class AddOneRunner : public LinearLayerRunner {
 public:
  void run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override {
    seen.push_back(node);
    op.run(in, out);
    for (float& v : out[0]->floats()) v += 1.0f;
  }
  std::vector<size_t> seen;
};

TEST(Executor, LinearLayerRunnerComputesLinearNodes) {
  Executor ex(std::make_shared<Graph>(conv_relu_graph()));
  EXPECT_EQ(ex.linear_nodes(), (std::vector<size_t>{0}));
  EXPECT_TRUE(ex.is_linear(0));
  EXPECT_FALSE(ex.is_linear(1));
  std::vector<Tensor> in = {Tensor::from_floats({1, 1, 2, 2}, std::vector<float>{-3, -1, 0, 1})};
  AddOneRunner runner;
  std::vector<Tensor> out = ex.run(in, &runner);
  EXPECT_EQ(runner.seen, (std::vector<size_t>{0}));
  EXPECT_EQ(std::vector<float>(out[0].floats().begin(), out[0].floats().end()),
            (std::vector<float>{0, 0, 1, 3}));  // relu(2x + 1)
  out = ex.run(in);  // without a runner the op's own result
  EXPECT_EQ(std::vector<float>(out[0].floats().begin(), out[0].floats().end()),
            (std::vector<float>{0, 0, 0, 2}));
}

// Switching between kept buffers (kReference) and shared ones (kOff) reuses the buffers the
// other mode released instead of allocating more each time.
TEST(Executor, SwitchingTrackingModesDoesNotGrowItsBuffers) {
  Graph g = conv_relu_graph();  // then a node that reads the kept value and releases it
  const int z = g.add_value(named("z"));
  g.nodes.push_back({"sigmoid", "Sigmoid", {g.outputs[0]}, {z}, {}});
  g.outputs[0] = z;
  Executor ex(std::make_shared<Graph>(g));
  std::vector<Tensor> in = {Tensor::from_floats({1, 1, 2, 2}, std::vector<float>{-3, -1, 0, 1})};
  std::vector<int64_t> bytes;
  for (int cycle = 0; cycle < 4; ++cycle)
    for (auto mode : {Executor::Tracking::kReference, Executor::Tracking::kOff}) {
      ex.set_tracking(mode);
      const std::vector<Tensor> out = ex.run(in);
      ASSERT_EQ(out[0].numel(), 4);
      EXPECT_NEAR(out[0].f32()[0], 0.5f, 1e-6);  // sigmoid(relu(2 * -3))
      EXPECT_NEAR(out[0].f32()[3], 1 / (1 + std::exp(-2.0f)), 1e-6);
      bytes.push_back(ex.buffer_bytes());
    }
  EXPECT_GT(bytes.front(), 0);
  EXPECT_EQ(bytes[3], bytes.back());
}

// Computes the layer with its own op and reports one changed pixel (of four) of its output.
struct OnePixelRunner : LinearLayerRunner {
  OnePixelRunner() { changes.set(0, 1, 0, 1); }
  void run_linear(size_t, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override {
    op.run(in, out);
  }
  const ChangeMask* output_changes() const override { return &changes; }
  ChangeMask changes{Shape{1, 1, 2, 2}, false};
};

// With node timing on, kChanges runs add up each node's changed share: the linear node's from
// its runner, the Relu's the same pixel. kReference runs and runs without timing add nothing.
TEST(Executor, NodeTimingAddsTheChangedShareOfTrackedRuns) {
  Executor ex(std::make_shared<Graph>(conv_relu_graph()));
  std::vector<Tensor> in = {Tensor::from_floats({1, 1, 2, 2}, std::vector<float>{-3, -1, 0, 1})};
  OnePixelRunner runner;
  ex.set_tracking(Executor::Tracking::kChanges);
  ex.run(in, &runner);  // timing off
  ex.set_node_timing(true);
  ex.set_tracking(Executor::Tracking::kReference);
  ex.run(in, &runner);
  EXPECT_EQ(ex.changed_runs(), 0);
  ex.set_tracking(Executor::Tracking::kChanges);
  ex.run(in, &runner);
  ex.run(in, &runner);
  EXPECT_EQ(ex.changed_runs(), 2);
  ASSERT_EQ(ex.node_changed().size(), 2u);
  EXPECT_DOUBLE_EQ(ex.node_changed()[0], 0.5);  // a quarter of the pixels, twice
  EXPECT_DOUBLE_EQ(ex.node_changed()[1], 0.5);
  ex.set_node_timing(false);
  ex.run(in, &runner);
  EXPECT_EQ(ex.changed_runs(), 0);
  EXPECT_TRUE(ex.node_changed().empty());
}

// Runs the linear ops unchanged: with a runner the executor fuses nothing into them.
struct PlainRunner : LinearLayerRunner {
  void run_linear(size_t, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override {
    op.run(in, out);
  }
};

struct FusingRunner : PlainRunner {
  bool fuses_epilogue() const override { return true; }
  void run_linear(size_t node, const Op& op, std::span<const Tensor* const> in,
                  std::span<Tensor* const> out) override {
    ++calls;
    PlainRunner::run_linear(node, op, in, out);
  }
  int calls = 0;
};

// conv1 -> Add(x, .) -> Relu; conv2 -> HardSwish; conv3 (depthwise) -> Clip(0, 0.5); conv6 ->
// HardSigmoid and Mul of both; conv4 read twice (not fused); conv7 (depthwise) -> Relu ->
// Add(., y4); conv8 (1x1, on the GEMM's registers) -> HardSwish -> Add(y7, .); conv5 a graph
// output followed by Relu (not fused).
Graph fusable_graph() {
  Graph g;
  g.source = "fusable.onnx";
  const int xi = add_input(g, {1, 4, 6, 6});
  int seed = 1;
  auto conv = [&](const std::string& name, int in, Shape w, int64_t group, int64_t pad) {
    const int wt = g.add_constant(name + "/w", testing::random_tensor(w, static_cast<uint32_t>(seed++)));
    const int b = g.add_constant(name + "/b", testing::random_tensor({w[0]}, static_cast<uint32_t>(seed++)));
    const int y = g.add_value(named(name));
    Attributes a;
    a.set("group", group);
    a.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    g.nodes.push_back({name, "Conv", {in, wt, b}, {y}, a});
    return y;
  };
  auto node = [&](const std::string& name, const std::string& type, std::vector<int> in) {
    const int y = g.add_value(named(name));
    g.nodes.push_back({name, type, std::move(in), {y}, {}});
    return y;
  };
  const int c1 = conv("conv1", xi, {4, 4, 3, 3}, 1, 1);
  const int r1 = node("relu1", "Relu", {node("add1", "Add", {xi, c1})});
  const int h2 = node("hswish2", "HardSwish", {conv("conv2", r1, {4, 4, 1, 1}, 1, 0)});
  const int k3 = node("clip3", "Clip", {conv("conv3", h2, {4, 1, 3, 3}, 4, 1),
                                        g.add_constant("lo", Tensor::from_floats({}, std::vector<float>{0})),
                                        g.add_constant("hi", Tensor::from_floats({}, std::vector<float>{0.5f}))});
  const int c6 = conv("conv6", k3, {4, 4, 3, 3}, 1, 1);
  Attributes hs;
  hs.set("alpha", 1.0f / 6);
  hs.set("beta", 0.5f);
  const int s6 = g.add_value(named("hsigmoid6"));
  g.nodes.push_back({"hsigmoid6", "HardSigmoid", {c6}, {s6}, hs});
  const int m6 = node("mul6", "Mul", {s6, c6});
  const int c4 = conv("conv4", m6, {4, 4, 1, 1}, 1, 0);
  const int y4 = node("add4", "Add", {c4, node("relu4", "Relu", {c4})});
  const int y7 = node("add7", "Add", {node("relu7", "Relu", {conv("conv7", y4, {4, 1, 3, 3}, 4, 1)}), y4});
  const int y8 = node("add8", "Add", {y7, node("hswish8", "HardSwish", {conv("conv8", y7, {4, 4, 1, 1}, 1, 0)})});
  const int c5 = conv("conv5", y8, {2, 4, 3, 3}, 1, 0);
  g.outputs = {y4, c5, node("relu5", "Relu", {c5})};
  return g;
}

TEST(Executor, FusedEpiloguesGiveTheUnfusedOutputs) {
  Executor ex(std::make_shared<Graph>(fusable_graph()));
  std::vector<int> fused;
  for (size_t i = 0; i < ex.graph().nodes.size(); ++i)
    if (ex.graph().nodes[i].op_type == "Conv") fused.push_back(ex.fused_after(i));
  EXPECT_EQ(fused, (std::vector<int>{2, 1, 1, 2, 0, 2, 2, 0}));
  PlainRunner plain;
  for (uint32_t seed : {7u, 8u}) {
    std::vector<Tensor> in = {testing::random_tensor({1, 4, 6, 6}, seed)};
    const std::vector<Tensor> unfused = ex.run(in, &plain);
    const std::vector<Tensor> fused_out = ex.run(in);
    FusingRunner fusing;
    const std::vector<Tensor> runner_fused = ex.run(in, &fusing);
    ASSERT_EQ(fused_out.size(), 3u);
    for (size_t o = 0; o < 3; ++o) {
      ASSERT_EQ(fused_out[o].shape(), unfused[o].shape());
      EXPECT_EQ(0, std::memcmp(fused_out[o].f32(), unfused[o].f32(),
                               static_cast<size_t>(unfused[o].numel()) * sizeof(float)))
          << "output " << o;
      EXPECT_EQ(0, std::memcmp(runner_fused[o].f32(), unfused[o].f32(),
                               static_cast<size_t>(unfused[o].numel()) * sizeof(float)))
          << "output " << o << " with a runner that fuses";
    }
    EXPECT_EQ(fusing.calls, 8);
  }
}

// "node<-source" for every linear node of ex (input_from_linear).
std::vector<std::string> input_sources(const Executor& ex) {
  std::vector<std::string> from;
  for (size_t i : ex.linear_nodes()) {
    const std::optional<size_t> p = ex.input_from_linear(i);
    from.push_back(ex.graph().nodes[i].name + "<-" + (p ? ex.graph().nodes[*p].name : "-"));
  }
  return from;
}

// A conv's input that is another conv's output, directly or through a fused activation alone,
// read by nothing else, comes from that conv; through an Add, x * HardSigmoid(x), from the graph
// input or read twice it does not.
TEST(Executor, InputFromLinearThroughAFusedActivationOnly) {
  Executor ex(std::make_shared<Graph>(fusable_graph()));
  EXPECT_EQ(input_sources(ex),
            (std::vector<std::string>{"conv1<--", "conv2<--", "conv3<-conv2", "conv6<-conv3",
                                      "conv4<--", "conv7<--", "conv8<--", "conv5<--"}));
  EXPECT_EQ(ex.fused_epilogue(ex.linear_nodes()[2]).activation, Epilogue::Activation::kClip);

  // Relu(a) read by two convs: neither; c's output straight into d: d from c.
  Graph g;
  g.source = "branches.onnx";
  const int x = add_input(g, {1, 2, 4, 4});
  auto conv = [&](const std::string& name, int in) {
    const int w = g.add_constant(name + "/w", testing::random_tensor({2, 2, 1, 1}, 1));
    const int y = g.add_value(named(name));
    g.nodes.push_back({name, "Conv", {in, w}, {y}, {}});
    return y;
  };
  const int r = g.add_value(named("relu"));
  g.nodes.push_back({"relu", "Relu", {conv("a", x)}, {r}, {}});
  const int b = conv("b", r);
  g.outputs = {b, conv("d", conv("c", r))};
  Executor branches(std::make_shared<Graph>(std::move(g)));
  EXPECT_EQ(input_sources(branches), (std::vector<std::string>{"a<--", "b<--", "c<--", "d<-c"}));
}

}  // namespace
}  // namespace resq
