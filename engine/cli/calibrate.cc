// `resq calibrate`: fit keyframe and residual activation quantizers for every bit-width 2..8 of
// every linear layer on frames of a clip, and save them for later sessions.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/cli/clip_reader.h"
#include "engine/cli/commands.h"
#include "engine/cli/output_file.h"
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
  std::string check;  // only check this calibration file against the model
  int samples = 64;
  int search_points = 20;
  int max_distance = 3;
  int64_t start_frame = 0;
  int64_t frames = 0;  // 0: as many as --samples needs
  bool per_tensor = false;
  bool json = false;
  bool progress = true;
};

// `--check FILE`: load FILE for the model (all of load_calibration's checks) and describe it.
void check_command(const Options& opt) {
  auto graph = load_model(opt.model);
  const Calibration c = load_calibration(opt.check, *graph);
  std::printf(
      "%s: fits %s: %zu linear layers, calibrated on %lld frames of %s (%d samples, %d "
      "search points, max distance %d)\n",
      opt.check.c_str(), opt.model.c_str(), c.layers.size(),
      static_cast<long long>(c.recipe.frames), c.recipe.clip.c_str(), c.recipe.samples,
      c.recipe.search_points, c.recipe.max_distance);
}

void calibrate_command(const Options& opt) {
  const auto started = std::chrono::steady_clock::now();
  auto graph = load_model(opt.model);
  const ImageInput image = find_image_input(*graph);
  if (graph->inputs.size() != 1)
    throw ModelError(opt.model + ": `calibrate` needs a model with one (image) input");
  const ModelIdentity identity = model_identity(*graph);
  make_parent_dirs(opt.out);  // fail before the long work

  // c frames give c keyframe samples, and their consecutive pairs the residual samples.
  const int64_t needed = opt.frames > 0 ? opt.frames : opt.samples;
  const auto frames =
      read_clip(opt.video, image, opt.start_frame, needed,
                "calibration (lower --frames / --samples or --start-frame)")
          .inputs;

  CalibrationOptions o;
  o.samples = opt.samples;
  o.search_points = opt.search_points;
  o.max_distance = opt.max_distance;
  o.weights = opt.per_tensor ? WeightGranularity::kPerTensor : WeightGranularity::kPerChannel;
  ProgressBar bar("resq calibrate", identity.linear_layers, opt.progress);
  Calibration cal = calibrate(graph, frames, o, [&](size_t done, size_t) {
    bar.update(static_cast<int64_t>(done), "layers");
  });
  bar.finish();
  cal.model = identity;
  cal.recipe = {.samples = o.samples,
                .search_points = o.search_points,
                .max_distance = o.max_distance,
                .weights = o.weights,
                .clip = std::filesystem::path(opt.video).filename().string(),
                .start_frame = opt.start_frame,
                .frames = static_cast<int64_t>(frames.size())};
  save_calibration(opt.out, cal);

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (opt.json) {
    std::cout << nlohmann::json{{"model", opt.model},      {"video", opt.video},
                                {"output", opt.out},       {"layers", cal.layers.size()},
                                {"frames", frames.size()}, {"bits", o.bits},
                                {"seconds", seconds}}
                     .dump(2)
              << "\n";
    return;
  }
  std::printf(
      "resq calibrate: %zu linear layers, bits %d..%d (keyframe and residual), %zu frames, "
      "%.1f s -> %s\n",
      cal.layers.size(), o.bits.front(), o.bits.back(), frames.size(), seconds, opt.out.c_str());
}

}  // namespace

void add_calibrate(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Fit keyframe and residual activation quantizers for bits 2..8 of every linear layer on "
      "consecutive frames of a clip (Eq. 8) and write them as JSON. Memory: every linear layer's "
      "input of every frame is kept, about 20 MB per frame for the default 256x256 model (the "
      "default 64 frames: about 1.3 GB).");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx)")->required();
  auto* video = cmd->add_option("--video", opt->video,
                                "Calibration clip (anything OpenCV/FFmpeg decodes); required");
  auto* out = cmd->add_option("--out", opt->out, "Calibration file to write (JSON); required");
  cmd->add_option("--check", opt->check,
                  "Instead of calibrating, check that this calibration file fits --model")
      ->excludes(video)
      ->excludes(out);
  cmd->add_option("--samples", opt->samples,
                  "Frames and residuals per layer in the range search (c)")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--search-points", opt->search_points, "Candidate ranges per search (r)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-distance", opt->max_distance,
                  "Residuals at keyframe distances 1..N (N = T - 1 of the keyframe interval T)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--start-frame", opt->start_frame, "First frame of the clip to use")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--frames", opt->frames,
                  "Consecutive frames to decode and keep (default: --samples); memory "
                  "grows with it")
      ->check(CLI::Range(int64_t{2}, int64_t{100000}));
  cmd->add_flag("--per-tensor", opt->per_tensor, "Per-tensor weight ranges (default: per channel)");
  cmd->add_flag("--json", opt->json, "Print the summary (layers, bits, seconds) as JSON");
  cmd->add_flag("!--no-progress", opt->progress, "Do not draw the progress bar");
  cmd->callback([opt] {
    if (!opt->check.empty()) return check_command(*opt);
    if (opt->video.empty() || opt->out.empty())
      throw CLI::RequiredError(opt->video.empty() ? "--video" : "--out");
    calibrate_command(*opt);
  });
}

}  // namespace resq::cli
