// `resq run`: decode a clip, run the model on every frame (fp32, or any ResQ scheme with a
// calibration), overlay the mask, encode, and write a JSON summary with latency and BOPs.
#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/cli/latency_stats.h"
#include "engine/cli/output_file.h"
#include "engine/cli/progress_bar.h"
#include "engine/cli/scheme_options.h"
#include "engine/error.h"
#include "engine/image_tensor.h"
#include "engine/resq/stream_session.h"
#include "engine/stream/model_cache.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  std::string video;
  std::string out;
  std::string json;
  std::string calibration;
  SchemeOptions scheme;  // bits default: fp32 without a calibration, W8A8->W8A{0,4,8} with one
  int64_t max_frames = 0;
  float threshold = 0.5f;
  bool progress = true;
};

cv::VideoWriter open_writer(const std::string& path, double fps, cv::Size size) {
  make_parent_dirs(path);
  cv::VideoWriter w;
  // FFmpeg explicitly: OpenCV may otherwise pick its GStreamer backend, which cannot mux mp4
  // from raw BGR. H.264 where FFmpeg has an encoder for it, MPEG-4 part 2 otherwise.
  for (const char* fourcc : {"avc1", "mp4v"}) {
    int code = cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]);
    if (w.open(path, cv::CAP_FFMPEG, code, fps, size)) return w;
  }
  throw ModelError(path + ": cannot open for writing (no H.264 or MPEG-4 encoder, or bad path)");
}

void run_video(const Options& opt) {
  using Clock = std::chrono::steady_clock;
  SchemeOptions scheme = opt.scheme;
  if (scheme.bits.empty()) scheme.bits = opt.calibration.empty() ? "fp32" : "W8A8->W8A{0,4,8}";
  const StreamConfig config = stream_config(scheme);
  if (opt.calibration.empty() && config.bits.scheme != QuantScheme::kFloat)
    throw ModelError("--bits " + scheme.bits + " needs --calibration (from `resq calibrate`)");
  const auto loaded = acquire_model(opt.model, opt.calibration);  // fp32: uncalibrated
  StreamSession session(loaded->quantized, config);
  const std::string bits = config.bits.to_string();
  const ImageInput& image = loaded->image;

  cv::VideoCapture cap(opt.video);
  if (!cap.isOpened()) throw ModelError(opt.video + ": cannot open video");
  double fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps > 0 && fps < 1000)) fps = 25.0;
  int64_t total = static_cast<int64_t>(cap.get(cv::CAP_PROP_FRAME_COUNT));
  if (opt.max_frames > 0 && (total <= 0 || total > opt.max_frames)) total = opt.max_frames;

  cv::VideoWriter writer;
  std::vector<double> infer_ms, frame_ms;
  double mask_fraction_sum = 0;
  double bops = 0, bops_fp32 = 0, bops_w8a8 = 0;
  int64_t keyframes = 0;
  ProgressBar bar("resq run", total, opt.progress);
  std::vector<Tensor> inputs(1);
  cv::Mat frame;
  int64_t n = 0;
  while ((opt.max_frames <= 0 || n < opt.max_frames) && cap.read(frame)) {
    auto t0 = Clock::now();
    frame_to_tensor(frame, image, inputs[0]);
    auto t1 = Clock::now();
    std::vector<Tensor> outputs = session.process(inputs);
    auto t2 = Clock::now();
    const FrameCost& c = session.last_cost();
    bops += c.bops;
    bops_fp32 += c.bops_fp32;
    bops_w8a8 += c.bops_w8a8;
    keyframes += c.keyframe;
    cv::Mat map = map_from_tensor(outputs[0]);
    mask_fraction_sum += static_cast<double>(cv::countNonZero(map > opt.threshold)) / static_cast<double>(map.total());
    overlay_mask(frame, map, opt.threshold);
    if (!writer.isOpened()) writer = open_writer(opt.out, fps, frame.size());
    writer.write(frame);
    auto t3 = Clock::now();
    infer_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    frame_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t0).count());
    ++n;
    bar.update(n, std::to_string(static_cast<int>(infer_ms.back())) + " ms/frame");
  }
  bar.finish();
  if (n == 0) throw ModelError(opt.video + ": no frames could be decoded");
  writer.release();

  nlohmann::json summary = {
      {"model", opt.model},
      {"video", opt.video},
      {"output", opt.out},
      {"frames", n},
      {"fps", fps},
      {"input", {{"height", image.height}, {"width", image.width}, {"layout", image.nhwc ? "NHWC" : "NCHW"}}},
      {"inference_ms", latency_json(infer_ms)},
      {"frame_ms", latency_json(frame_ms)},
      {"mask_fraction_mean", mask_fraction_sum / static_cast<double>(n)},
      {"bits", bits},
      {"keyframes", keyframes},
      {"period", config.period},
      {"gbops_per_frame", bops / static_cast<double>(n) / 1e9},
      {"ratio_to_fp32", bops / bops_fp32},
      {"ratio_to_w8a8", bops / bops_w8a8},
  };
  if (!opt.json.empty()) write_text(opt.json, summary.dump(2) + "\n");
  std::cout << "resq run: " << bits << ", " << n << " frames, inference median " << summary["inference_ms"]["median"].get<double>()
            << " ms, p95 " << summary["inference_ms"]["p95"].get<double>() << " ms -> " << opt.out << "\n";
}

}  // namespace

void add_run(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a segmentation model over a video: annotated video + JSON summary");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx)")->required();
  cmd->add_option("--video", opt->video, "Input clip (anything OpenCV/FFmpeg decodes)")->required();
  cmd->add_option("--out", opt->out, "Annotated output video (.mp4)")->required();
  cmd->add_option("--json", opt->json, "Write the summary (frames, latency median/p95) here");
  cmd->add_option("--calibration", opt->calibration,
                  "Calibration file from `resq calibrate`; needed for any scheme but fp32");
  add_scheme_options(cmd, opt->scheme,
                     "Scheme in the paper's notation: fp32, W8A8, W8A8->W4A4, W8A8->W8A{0,4,8}, "
                     "W8A8->skip (default: fp32, or W8A8->W8A{0,4,8} with --calibration)");
  cmd->add_option("--max-frames", opt->max_frames, "Stop after this many frames (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threshold", opt->threshold, "Mask threshold on the model output")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("!--no-progress", opt->progress, "Do not draw a progress bar");
  cmd->callback([opt] { run_video(*opt); });
}

}  // namespace resq::cli
