#include "engine/resq/calibration_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/error.h"

namespace resq {
namespace {

namespace fs = std::filesystem;

// x [1,1,2,2] -> 1x1 Conv per name, each with weight `weight`.
Graph conv_chain(const std::vector<std::string>& names, float weight = 2.0f) {
  Graph g;
  g.source = "chain.onnx";
  g.format = "onnx";
  Value x;
  x.name = "x";
  x.shape = {1, 1, 2, 2};
  x.shape_known = true;
  int v = g.add_value(x);
  g.inputs.push_back(v);
  for (const std::string& name : names) {
    int w =
        g.add_constant(name + "_w", Tensor::from_floats({1, 1, 1, 1}, std::vector<float>{weight}));
    Value out;
    out.name = name + "_out";
    int y = g.add_value(out);
    g.nodes.push_back({name, "Conv", {v, w}, {y}, {}});
    v = y;
  }
  g.outputs.push_back(v);
  return g;
}

Calibration calibration_for(const Graph& g) {
  Calibration c;
  c.model_fingerprint = model_fingerprint(g);
  c.model = model_identity(g);
  c.recipe = {5, 7, 2, WeightGranularity::kPerTensor, "clip.avi", 3, 9};
  for (const std::string& name : linear_layer_names(g))
    c.layers.push_back({name, {{2, 0.125}, {8, 1.0 / 3.0}}, {{4, 0.0}, {8, 2.5e-7}}});
  return c;
}

class CalibrationJson : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("resq_calibration_json_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
    path_ = (dir_ / "calib.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string text() const {
    std::ifstream f(path_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  // Saves a valid calibration of `graph_`, then replaces the first `from` by `to` in the file.
  void write_edited(const std::string& from, const std::string& to) {
    save_calibration(path_, calibration_for(graph_));
    std::string s = text();
    size_t at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in\n" << s;
    s.replace(at, from.size(), to);
    std::ofstream(path_) << s;
  }
  std::string load_error(const Graph& g) const {
    try {
      load_calibration(path_, g);
    } catch (const ModelError& e) {
      return e.what();
    }
    return "";
  }

  Graph graph_ = conv_chain({"conv_a", "conv_b"});
  fs::path dir_;
  std::string path_;
};

TEST_F(CalibrationJson, IdentityOfTheModel) {
  ModelIdentity id = model_identity(graph_);
  EXPECT_EQ(id.file, "chain.onnx");
  EXPECT_EQ(id.format, "onnx");
  EXPECT_EQ(id.linear_layers, 2);
  EXPECT_EQ(id.linear_macs, 2 * 4);  // two 1x1 convs over 2x2 pixels, one channel
  EXPECT_EQ(linear_layer_names(graph_), (std::vector<std::string>{"conv_a", "conv_b"}));
  // Names and weights both count.
  EXPECT_EQ(model_fingerprint(graph_), model_fingerprint(conv_chain({"conv_a", "conv_b"})));
  EXPECT_NE(model_fingerprint(graph_), model_fingerprint(conv_chain({"conv_a", "conv_b"}, 3.0f)));
  EXPECT_NE(model_fingerprint(graph_), model_fingerprint(conv_chain({"conv_a", "conv_c"})));
}

TEST_F(CalibrationJson, RoundTrip) {
  const Calibration c = calibration_for(graph_);
  save_calibration(path_, c);
  const Calibration back = load_calibration(path_, graph_);
  EXPECT_EQ(back.model_fingerprint, c.model_fingerprint);
  EXPECT_EQ(back.model.file, "chain.onnx");
  EXPECT_EQ(back.model.format, "onnx");
  EXPECT_EQ(back.model.linear_layers, 2);
  EXPECT_EQ(back.model.linear_macs, 8);
  EXPECT_EQ(back.recipe.samples, 5);
  EXPECT_EQ(back.recipe.search_points, 7);
  EXPECT_EQ(back.recipe.max_distance, 2);
  EXPECT_EQ(back.recipe.weights, WeightGranularity::kPerTensor);
  EXPECT_EQ(back.recipe.clip, "clip.avi");
  EXPECT_EQ(back.recipe.start_frame, 3);
  EXPECT_EQ(back.recipe.frames, 9);
  ASSERT_EQ(back.layers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.layers[i].node, c.layers[i].node);
    EXPECT_EQ(back.layers[i].key_clip, c.layers[i].key_clip);  // doubles exactly
    EXPECT_EQ(back.layers[i].residual_clip, c.layers[i].residual_clip);
  }
}

TEST_F(CalibrationJson, MissingFile_n) {
  std::string msg = load_error(graph_);
  EXPECT_NE(msg.find(path_), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open"), std::string::npos) << msg;
}

TEST_F(CalibrationJson, NotJson_n) {
  std::ofstream(path_) << "{\"format_version\": 1, \"model\": ";
  std::string msg = load_error(graph_);
  EXPECT_NE(msg.find(path_), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  std::ofstream(path_) << "[1, 2]";
  EXPECT_NE(load_error(graph_).find("not an object"), std::string::npos);
}

TEST_F(CalibrationJson, MissingField_n) {
  const std::pair<std::string, std::string> cases[] = {
      {"\"fingerprint\"", "model.fingerprint"},
      {"\"max_distance\"", "recipe.max_distance"},
      {"\"residual_clip\"", "layers[0].residual_clip"},
      {"\"layers\"", "layers"},
  };
  for (const auto& [key, field] : cases) {
    write_edited(key, "\"renamed\"");
    std::string msg = load_error(graph_);
    EXPECT_NE(msg.find(path_), std::string::npos) << msg;
    EXPECT_NE(msg.find("missing field '" + field + "'"), std::string::npos) << msg;
  }
}

TEST_F(CalibrationJson, BadValue_n) {
  const std::vector<std::vector<std::string>> cases = {
      // edit from, edit to, expected pieces of the message
      {"\"samples\": 5", "\"samples\": -3", "'recipe.samples'", "-3"},
      {"\"weights\": \"per_tensor\"", "\"weights\": \"per_pixel\"", "'recipe.weights'",
       "per_pixel"},
      {"\"format_version\": 1", "\"format_version\": 7", "'format_version'", "7"},
      {"\"2\": 0.125", "\"9\": 0.125", "'layers[0].key_clip.9'", "bit-width"},
      {"\"2\": 0.125", "\"2\": -0.5", "'layers[0].key_clip.2'", "-0.5"},
      {"\"node\": \"conv_a\"", "\"node\": 12", "'layers[0].node'", "12"},
      {"\"linear_layers\": 2", "\"linear_layers\": 3", "'model.linear_layers'", "3"},
  };
  for (const auto& c : cases) {
    write_edited(c[0], c[1]);
    std::string msg = load_error(graph_);
    EXPECT_NE(msg.find(path_), std::string::npos) << msg;
    for (size_t i = 2; i < c.size(); ++i)
      EXPECT_NE(msg.find(c[i]), std::string::npos) << c[i] << " in " << msg;
  }
}

TEST_F(CalibrationJson, OtherModel_n) {
  save_calibration(path_, calibration_for(graph_));
  std::string msg = load_error(conv_chain({"conv_a"}));
  EXPECT_NE(msg.find(path_), std::string::npos) << msg;
  EXPECT_NE(msg.find("layer count differs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has 2 linear layers, chain.onnx has 1"), std::string::npos) << msg;

  msg = load_error(conv_chain({"conv_a", "conv_x"}));
  EXPECT_NE(msg.find("layer 1 name differs: 'conv_b'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'conv_x'"), std::string::npos) << msg;

  msg = load_error(conv_chain({"conv_a", "conv_b"}, 3.0f));
  EXPECT_NE(msg.find("fingerprint differs"), std::string::npos) << msg;
  EXPECT_NE(msg.find("made for chain.onnx"), std::string::npos) << msg;
}

}  // namespace
}  // namespace resq
