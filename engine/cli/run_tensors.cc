// `resq run-tensors`: run a model on ONNX TensorProto files and write one TensorProto per output.
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/error.h"
#include "engine/executor.h"
#include "engine/import/tensor_proto.h"
#include "engine/model.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  std::vector<std::string> inputs;  // NAME=FILE.pb
  std::string output_dir;
  bool json = false;
};

// Output names may contain '/' or ':' (TFLite, TF-exported ONNX); keep files inside the dir.
std::string file_name_for(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c == '/' || c == '\\' || c == ':') c = '_';
  return out + ".pb";
}

void run_tensors(const Options& opt) {
  auto graph = load_model(opt.model);
  Executor ex(graph);
  const Graph& g = *graph;

  std::map<std::string, std::string> files;
  for (const std::string& arg : opt.inputs) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
      throw ModelError("--input '" + arg + "': expected NAME=FILE.pb");
    files[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  std::vector<Tensor> inputs;
  for (int v : g.inputs) {
    const std::string& name = g.values[static_cast<size_t>(v)].name;
    auto it = files.find(name);
    if (it == files.end()) throw ModelError(opt.model + ": input '" + name + "' was not given (--input " + name + "=FILE.pb)");
    inputs.push_back(read_tensor_file(it->second));
    files.erase(it);
  }
  if (!files.empty()) throw ModelError(opt.model + ": the model has no input named '" + files.begin()->first + "'");

  std::vector<Tensor> outputs = ex.run(inputs);
  std::filesystem::create_directories(opt.output_dir);
  nlohmann::json written = nlohmann::json::array();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string& name = g.values[static_cast<size_t>(g.outputs[i])].name;
    std::string path = (std::filesystem::path(opt.output_dir) / file_name_for(name)).string();
    write_tensor_file(path, outputs[i], name);
    written.push_back({{"name", name}, {"shape", outputs[i].shape()}, {"file", path}});
    if (!opt.json) std::cout << name << " " << shape_str(outputs[i].shape()) << " -> " << path << "\n";
  }
  if (opt.json) std::cout << nlohmann::json{{"outputs", written}}.dump(2) << "\n";
}

}  // namespace

void add_run_tensors(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "run-tensors", "Run a model on ONNX TensorProto files; write one OUTPUTNAME.pb per output");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx)")->required();
  cmd->add_option("--input", opt->inputs, "NAME=FILE.pb, once per model input")->required();
  cmd->add_option("--output-dir", opt->output_dir, "Directory for the output .pb files")->required();
  cmd->add_flag("--json", opt->json, "Print the written outputs as JSON");
  cmd->callback([opt] { run_tensors(*opt); });
}

}  // namespace resq::cli
