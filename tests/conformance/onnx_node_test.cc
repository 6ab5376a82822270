// ONNX's own node tests (tests/data/onnx-node/test_*/, copied by scripts/import_onnx_testdata.sh):
// each directory's model runs through load_model + Executor on every test_data_set_* and every
// output must match ONNX's reference within ONNX's tolerance. One test per directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/import/tensor_proto.h"
#include "engine/model.h"

namespace resq {
namespace {

namespace fs = std::filesystem;

// ONNX backend test tolerance: |actual - expected| <= atol + rtol * |expected|.
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

const fs::path kDataDir = RESQ_ONNX_NODE_DIR;

std::vector<fs::path> sorted_subdirs(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && e.path().filename().string().starts_with(prefix))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> test_names() {
  std::vector<std::string> names;
  for (const fs::path& p : sorted_subdirs(kDataDir, "test_"))
    names.push_back(p.filename().string());
  return names;
}

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// input_0.pb, input_1.pb, ... (or output_*) in index order.
std::vector<NamedTensor> read_numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<NamedTensor> out;
  for (int i = 0;; ++i) {
    const fs::path file = dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    NamedTensor t;
    t.tensor = read_tensor_file(file.string(), &t.name);
    out.push_back(std::move(t));
  }
  return out;
}

// Empty when `actual` matches `expected`; otherwise what differs, naming the worst element.
std::string mismatch(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype())
    return std::string("dtype ") + dtype_name(actual.dtype()) + ", expected " +
           dtype_name(expected.dtype());
  if (actual.shape() != expected.shape())
    return "shape " + shape_str(actual.shape()) + ", expected " + shape_str(expected.shape());
  int64_t bad = 0, worst = -1;
  double worst_excess = -1;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double a = actual.at_as_double(i), e = expected.at_as_double(i);
    double excess;
    if (std::isnan(e) || std::isnan(a)) {
      excess = std::isnan(e) && std::isnan(a) ? 0 : INFINITY;  // NaN only matches NaN
    } else if (a == e) {
      excess = 0;  // also equal infinities
    } else {
      excess = std::abs(a - e) - (kAtol + kRtol * std::abs(e));
      if (std::isnan(excess)) excess = INFINITY;  // an infinity against a finite value
    }
    if (excess <= 0) continue;
    ++bad;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (bad == 0) return "";
  std::ostringstream msg;
  msg.precision(9);
  const double a = actual.at_as_double(worst), e = expected.at_as_double(worst);
  msg << bad << " of " << expected.numel() << " elements out of tolerance; worst at flat index "
      << worst << ": actual " << a << ", expected " << e;
  if (std::isnan(a) || std::isnan(e))
    msg << " (NaN only matches NaN)";
  else
    msg << ", |diff| " << std::abs(a - e) << " > " << kAtol + kRtol * std::abs(e);
  return msg.str();
}

class OnnxNodeTest : public testing::TestWithParam<std::string> {};

TEST_P(OnnxNodeTest, MatchesReference) {
  const fs::path dir = kDataDir / GetParam();
  std::unique_ptr<Executor> executor;
  try {
    executor = std::make_unique<Executor>(load_model((dir / "model.onnx").string()));
  } catch (const std::exception& e) {
    FAIL() << "load failed: " << e.what();
  }

  const std::vector<fs::path> sets = sorted_subdirs(dir, "test_data_set_");
  ASSERT_FALSE(sets.empty()) << dir << " has no test_data_set_*";
  for (const fs::path& set : sets) {
    const std::string set_name = set.filename().string();
    const std::vector<NamedTensor> inputs = read_numbered(set, "input");
    const std::vector<NamedTensor> expected = read_numbered(set, "output");
    ASSERT_FALSE(expected.empty()) << set_name << " has no output_*.pb";

    std::vector<Tensor> input_tensors;
    for (const NamedTensor& t : inputs) input_tensors.push_back(t.tensor);
    std::vector<Tensor> actual;
    try {
      actual = executor->run(input_tensors);
    } catch (const std::exception& e) {
      ADD_FAILURE() << set_name << ": run failed: " << e.what();
      continue;
    }
    if (actual.size() != expected.size()) {
      ADD_FAILURE() << set_name << ": " << actual.size() << " outputs, expected "
                    << expected.size();
      continue;
    }
    for (size_t o = 0; o < expected.size(); ++o) {
      const std::string diff = mismatch(actual[o], expected[o].tensor);
      EXPECT_TRUE(diff.empty()) << set_name << ": output " << o << " '" << expected[o].name
                                << "': " << diff;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OnnxNode, OnnxNodeTest, testing::ValuesIn(test_names()),
                         [](const testing::TestParamInfo<std::string>& p) { return p.param; });

// Guards against an empty or missing copy of the test data: zero tests must not pass.
TEST(OnnxNodeData, HasTests) {
  EXPECT_FALSE(test_names().empty())
      << "no test_* directories in " << kDataDir << " (run scripts/import_onnx_testdata.sh)";
}

}  // namespace
}  // namespace resq

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  const testing::UnitTest& unit = *testing::UnitTest::GetInstance();
  std::cout << "onnx-node conformance: " << unit.test_to_run_count() << " tests ran, "
            << unit.successful_test_count() << " passed, " << unit.failed_test_count()
            << " failed (" << resq::test_names().size() << " test directories in "
            << resq::kDataDir.string() << ")\n";
  return status;
}
