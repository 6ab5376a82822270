// `resq eval`: every configuration of a grid on the same frames of a clip, against the fp32
// reference: cost (GBOPs) and accuracy (IoU, |p - p_fp32|, SQNR, by keyframe distance), as JSON,
// CSV and a plot.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/cli/clip_reader.h"
#include "engine/cli/commands.h"
#include "engine/cli/eval_report.h"
#include "engine/cli/output_file.h"
#include "engine/cli/progress_bar.h"
#include "engine/error.h"
#include "engine/eval/evaluator.h"
#include "engine/executor.h"
#include "engine/stream/model_cache.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  std::string calibration;
  std::string video;
  std::string grid = "default";
  std::string json;
  std::string csv;
  std::string plot;
  int64_t start_frame = 0;
  int64_t frames = 0;
  float threshold = 0.5f;
  int threads = 0;
  bool print_grid = false;
  bool progress = true;
};

std::vector<EvalConfig> load_grid(const std::string& grid) {
  if (grid == "default") return parse_grid(kDefaultGrid, "default grid");
  std::ifstream f(grid);
  if (!f) throw ModelError(grid + ": cannot read the grid file");
  std::stringstream text;
  text << f.rdbuf();
  return parse_grid(text.str(), grid);
}

void print_table(const std::vector<EvalResult>& results) {
  std::printf("%-34s %9s %8s %8s %8s %8s\n", "configuration", "GBOPs/fr", "xW8A8", "IoU",
              "|dp|", "SQNR dB");
  for (const EvalResult& r : results)
    std::printf("%-34s %9.3f %8.3f %8.4f %8.5f %8.2f\n", r.config.label().c_str(), r.gbops,
                r.gbops / r.gbops_w8a8, r.iou_mean, r.mean_abs, r.sqnr_db);
}

void eval_command(const Options& opt) {
  std::vector<EvalConfig> grid;
  try {
    grid = load_grid(opt.grid);
  } catch (const std::invalid_argument& e) {
    throw ModelError(e.what());
  }
  if (opt.print_grid) {
    for (const EvalConfig& c : grid) std::printf("%s\n", c.label().c_str());
    return;
  }
  const auto loaded = acquire_model(opt.model, opt.calibration);
  const std::shared_ptr<const QuantizedModel>& model = loaded->quantized;
  const ImageInput& image = loaded->image;
  // Every configuration is checked before the long work starts (no executor is built).
  for (const EvalConfig& c : grid) {
    try {
      StreamSession::check_config(*model, c.stream);
    } catch (const std::exception& e) {
      throw ModelError(opt.calibration + ": cannot run " + c.label() + ": " + e.what());
    }
  }

  const Clip clip = read_clip(opt.video, image, opt.start_frame, opt.frames, "eval");
  const auto n = static_cast<int64_t>(clip.inputs.size());
  ProgressBar bar("resq eval", n * static_cast<int64_t>(grid.size() + 1), opt.progress);
  std::atomic<int64_t> done{0};

  std::vector<Tensor> reference;
  {
    Executor fp32(loaded->graph);
    for (const auto& inputs : clip.inputs) {
      reference.push_back(fp32.run(inputs).at(0));
      bar.update(++done, "fp32 reference");
    }
  }

  const EvalOptions eval_options{.threshold = opt.threshold, .output = 0};
  std::vector<EvalResult> results(grid.size());
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (size_t i = next++; i < grid.size(); i = next++) {
      try {
        results[i] = evaluate(model, grid[i], clip.inputs, reference, eval_options,
                              [&] { ++done; });
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = grid.size();
      }
    }
  };
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min<size_t>(opt.threads > 0 ? opt.threads : hw, grid.size());
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  const int64_t total = n * static_cast<int64_t>(grid.size() + 1);
  while (done < total && !failure) {
    bar.update(done, std::to_string(grid.size()) + " configurations");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  bar.update(total);
  bar.finish();

  const EvalRun run{.model = opt.model,
                    .calibration = opt.calibration,
                    .video = opt.video,
                    .start_frame = opt.start_frame,
                    .threshold = opt.threshold,
                    .results = results};
  if (!opt.json.empty()) write_text(opt.json, eval_json(run).dump(2) + "\n");
  if (!opt.csv.empty()) write_text(opt.csv, eval_csv(run));
  if (!opt.plot.empty()) eval_plot(run, opt.plot);
  print_table(results);
}

}  // namespace

void add_eval(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Run the fp32 reference and every configuration of a grid (frame quantization, ResQ, "
      "Dynamic-ResQ, skip) on the same frames of a clip; report GBOPs/frame, person-mask IoU "
      "against fp32, mean |p - p_fp32|, output SQNR, pixels per bit-width and IoU by distance to "
      "the keyframe. Prints a table; --json/--csv/--plot write the results.");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx); required");
  cmd->add_option("--calibration", opt->calibration,
                  "Calibration file from `resq calibrate`; required");
  cmd->add_option("--video", opt->video, "Clip to evaluate on; required");
  cmd->add_option("--grid", opt->grid,
                  "`default`, or a grid file: lines 'BITS [T=a,b] [tau=x,y]' (see "
                  "--print-grid)")
      ->capture_default_str();
  cmd->add_option("--start-frame", opt->start_frame,
                  "First frame (keep the calibration frames out of the evaluation)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--frames", opt->frames, "Frames to evaluate (default: to the end of the clip)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cmd->add_option("--threshold", opt->threshold, "Person mask: p > threshold")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--threads", opt->threads,
                  "Configurations evaluated in parallel (default: one per core)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--json", opt->json, "Write the results (one object per configuration) here");
  cmd->add_option("--csv", opt->csv, "Write the results as CSV here");
  cmd->add_option("--plot", opt->plot, "Draw IoU vs GBOPs/frame into this PNG (needs gnuplot)");
  cmd->add_flag("--print-grid", opt->print_grid, "Print the grid's configurations and exit");
  cmd->add_flag("!--no-progress", opt->progress, "Do not draw the progress bar");
  cmd->callback([opt] {
    if (!opt->print_grid)
      for (const auto& [value, name] : {std::pair{&opt->model, "--model"},
                                        {&opt->calibration, "--calibration"},
                                        {&opt->video, "--video"}})
        if (value->empty()) throw CLI::RequiredError(name);
    eval_command(*opt);
  });
}

}  // namespace resq::cli
