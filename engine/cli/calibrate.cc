// `resq calibrate`: fit keyframe and residual activation quantizers for every bit-width 2..8 of
// every linear layer on frames of a clip, and save them for later sessions.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/cli/progress_bar.h"
#include "engine/error.h"
#include "engine/image_tensor.h"
#include "engine/model.h"
#include "engine/resq/calibration_json.h"
#include "engine/resq/calibrator.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  std::string video;
  std::string out;
  int samples = 64;
  int search_points = 20;
  int max_distance = 3;
  int start_frame = 0;
  bool per_tensor = false;
  bool json = false;
  bool progress = true;
};

void calibrate_command(const Options& opt) {
  auto started = std::chrono::steady_clock::now();
  auto graph = load_model(opt.model);
  const ImageInput image = find_image_input(*graph);
  cv::VideoCapture cap(opt.video);
  if (!cap.isOpened()) throw ModelError(opt.video + ": cannot open video");
  // Keyframe samples are frames; residual pairs come from the same consecutive frames.
  const int needed = std::max(opt.samples, 2);
  std::vector<std::vector<Tensor>> frames;
  cv::Mat bgr;
  for (int i = 0; static_cast<int>(frames.size()) < needed && cap.read(bgr); ++i) {
    if (i < opt.start_frame) continue;
    frames.emplace_back(1);
    frame_to_tensor(bgr, image, frames.back()[0]);
  }
  if (static_cast<int>(frames.size()) < needed)
    throw ModelError(opt.video + ": decoded " + std::to_string(frames.size()) + " frames from frame " +
                     std::to_string(opt.start_frame) + ", calibration needs " + std::to_string(needed));

  CalibrationOptions o;
  o.samples = opt.samples;
  o.search_points = opt.search_points;
  o.max_distance = opt.max_distance;
  o.weights = opt.per_tensor ? WeightGranularity::kPerTensor : WeightGranularity::kPerChannel;
  ProgressBar bar("resq calibrate", 0, opt.progress);
  Calibration cal = calibrate(graph, frames, o, [&](size_t done, size_t total) {
    bar.update(static_cast<int64_t>(done), "of " + std::to_string(total) + " layers");
  });
  bar.finish();
  save_calibration(opt.out, cal);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (opt.json) {
    std::cout << nlohmann::json{{"model", opt.model}, {"video", opt.video}, {"output", opt.out},
                                {"layers", cal.layers.size()}, {"frames", frames.size()},
                                {"bits", o.bits}, {"seconds", seconds}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "resq calibrate: " << cal.layers.size() << " layers x bits 2..8 (keyframe and residual) from "
              << frames.size() << " frames in " << seconds << " s -> " << opt.out << "\n";
  }
}

}  // namespace

void add_calibrate(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Fit keyframe and residual activation quantizers (bits 2..8, every linear layer) on a clip. "
      "Keeps every linear layer's input of every frame in memory (~20 MB per 256x256 frame for "
      "the default model).");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx)")->required();
  cmd->add_option("--video", opt->video, "Calibration clip")->required();
  cmd->add_option("--out", opt->out, "Calibration file to write (JSON)")->required();
  cmd->add_option("--samples", opt->samples, "Calibration frames (and residuals) per layer, c")
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--search-points", opt->search_points, "Candidate ranges in the line search, r")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-distance", opt->max_distance,
                  "Residuals at keyframe distances 1..N (use T - 1 of the intended T)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--start-frame", opt->start_frame, "First frame of the clip to use")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--per-tensor", opt->per_tensor, "Per-tensor weight ranges (default per channel)");
  cmd->add_flag("--json", opt->json, "Print the summary as JSON");
  cmd->add_flag("!--no-progress", opt->progress, "Do not draw a progress bar");
  cmd->callback([opt] { calibrate_command(*opt); });
}

}  // namespace resq::cli
