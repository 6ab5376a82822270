// `resq bench`: speed of one stream configuration on a clip decoded up front. Frames run through
// ResQStream (the engine as the plugin and the server use it): latency percentiles, fps,
// keyframe share, KeyframeCache bytes, BOPs and per-layer time; several streams sharing the
// model on several threads for throughput.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/cli/clip_reader.h"
#include "engine/cli/commands.h"
#include "engine/cli/latency_stats.h"
#include "engine/cli/output_file.h"
#include "engine/cli/progress_bar.h"
#include "engine/cli/scheme_options.h"
#include "engine/error.h"
#include "engine/quant/int_gemm.h"
#include "engine/stream/model_cache.h"
#include "engine/stream/resq_stream.h"
#include "engine/thread_cpu.h"
#include "engine/value_buffers.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  SchemeOptions scheme{.bits = "fp32"};
  std::string calibration;
  std::string video;
  std::string json;
  int64_t start_frame = 0;
  int64_t frames = 0;    // per stream; 0: the clip `repeat` times
  int repeat = 1;
  int warmup = 5;
  int streams = 1;
  int threads = 1;
  int top = 5;
  int jpeg_quality = 0;  // 0: frames as decoded
  bool progress = true;
  bool integer_kernels = true;
  bool change_tracking = false;
};

// `limit` frames of the clip from `start` (all when limit <= 0), already resized to the model
// input so the timed loop pays only for the colour conversion ResQStream does, not for decoding.
// With a `jpeg_quality` each frame is JPEG-encoded at it and decoded again after the resize, as
// resq-loadgen sends frames to resq-server.
std::vector<cv::Mat> decode(const std::string& video, const ImageInput& image, int64_t start,
                            int64_t limit, int jpeg_quality) {
  // Checked first: OpenCV would try every backend on a missing file and log each failure.
  if (!std::filesystem::is_regular_file(video)) throw ModelError(video + ": no such file");
  cv::VideoCapture cap(video);
  if (!cap.isOpened()) throw ModelError(video + ": cannot open video");
  skip_frames(cap, video, start);
  std::vector<cv::Mat> frames;
  const cv::Size size(static_cast<int>(image.width), static_cast<int>(image.height));
  cv::Mat bgr;
  while ((limit <= 0 || static_cast<int64_t>(frames.size()) < limit) && cap.read(bgr)) {
    frames.emplace_back();
    // Bilinear on 8-bit BGR, as frame_to_tensor resizes: its own resize is then the identity.
    cv::resize(bgr, frames.back(), size, 0, 0, cv::INTER_LINEAR);
    if (jpeg_quality > 0) {
      std::vector<uchar> jpeg;
      cv::imencode(".jpg", frames.back(), jpeg, {cv::IMWRITE_JPEG_QUALITY, jpeg_quality});
      frames.back() = cv::imdecode(jpeg, cv::IMREAD_COLOR);
    }
  }
  if (frames.empty())
    throw ModelError(video + ": no frames could be decoded from frame " + std::to_string(start));
  return frames;
}

// The vector instructions the float kernels were compiled for (-march): the same CPU model name
// covers machines with and without AVX-512, and the kernels' speed differs by 2x between them.
const char* float_vectors() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2 + FMA";
#elif defined(__AVX__)
  return "AVX";
#else
  return "SSE2";
#endif
}

// Where the numbers came from: CPU model, hardware threads and the 1-minute load average at the
// end of the run (the machines are shared; a result means little without the load next to it).
nlohmann::json machine_json() {
  std::string cpu = "unknown";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  double load[1] = {-1};
  getloadavg(load, 1);
  return {{"cpu", cpu},
          {"hardware_threads", std::thread::hardware_concurrency()},
          {"load_average_1min", load[0]},
          {"float_vectors", float_vectors()},
          {"int_gemm", int_gemm_kernel()}};
}

struct StreamRun {
  std::unique_ptr<ResQStream> stream;
  std::vector<double> latency_ms;  // engine time per measured frame (FrameCost::latency_ms)
  std::vector<double> keyframe_ms, residual_ms;  // the same split by frame kind
  std::vector<double> frame_ms;    // ResQStream::process, with the BGR -> tensor conversion
  std::vector<double> cpu_ms;      // this thread's CPU time in ResQStream::process
  std::vector<double> engine_cpu_ms;  // the same for the engine alone (FrameCost::cpu_ms)
  int64_t keyframes = 0;
  int64_t pixels_read = 0;  // Dynamic-ResQ residual frames: FrameCost::pixels_read
  FrameCost::Phases phases_ms;  // summed over the measured frames
  double bops = 0, bops_fp32 = 0;
};

// Summed phases as mean ms per residual frame, by name.
nlohmann::json phases_json(const FrameCost::Phases& sum, int64_t residual_frames) {
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [name, field] : kPhaseFields)
    phases[name] = sum.*field / static_cast<double>(residual_frames);
  return phases;
}

// `changed`: each node's share of output pixels that may differ from the keyframe's, summed over
// `changed_runs` change-tracking residual frames (none without --change-tracking).
nlohmann::json layers_json(const Graph& g, const std::vector<bool>& linear,
                           const std::vector<double>& node_ms, int64_t frames,
                           const std::vector<double>& changed, int64_t changed_runs) {
  const double total = std::accumulate(node_ms.begin(), node_ms.end(), 0.0);
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < node_ms.size(); ++i) {
    layers.push_back({{"index", i},
                      {"name", g.nodes[i].name},
                      {"op", g.nodes[i].op_type},
                      {"linear", static_cast<bool>(linear[i])},
                      {"ms_per_frame", node_ms[i] / static_cast<double>(frames)},
                      {"share", total > 0 ? node_ms[i] / total : 0.0}});
    if (changed_runs > 0)
      layers.back()["changed_share"] = changed[i] / static_cast<double>(changed_runs);
  }
  return layers;
}

void bench(const Options& opt) {
  const StreamConfig config = stream_config(opt.scheme);
  const auto loaded = acquire_model(opt.model, opt.calibration);
  try {
    ResQStream::check(*loaded, config);
  } catch (const std::invalid_argument& e) {
    if (opt.calibration.empty())
      throw ModelError(opt.model + ": " + config.bits.to_string() +
                       " needs --calibration (only fp32 and fp32->skip run without one)");
    throw ModelError(opt.calibration + ": " + e.what());
  }

  // With --frames only as many frames as are used are kept; a longer run loops over them.
  const std::vector<cv::Mat> clip =
      decode(opt.video, loaded->image, opt.start_frame,
             opt.frames > 0 ? std::max<int64_t>(opt.frames, opt.warmup) : 0, opt.jpeg_quality);
  const auto clip_frames = static_cast<int64_t>(clip.size());
  const int64_t frames = opt.frames > 0 ? opt.frames : clip_frames * opt.repeat;
  const auto streams = static_cast<size_t>(opt.streams);
  const size_t threads = std::min<size_t>(static_cast<size_t>(opt.threads), streams);

  std::vector<StreamRun> runs(streams);
  for (StreamRun& r : runs) {
    r.stream = std::make_unique<ResQStream>(loaded, config, std::nullopt);
    r.stream->set_integer_kernels(opt.integer_kernels);
    r.stream->set_change_tracking(opt.change_tracking);
    r.latency_ms.reserve(static_cast<size_t>(frames));
    r.frame_ms.reserve(static_cast<size_t>(frames));
    r.cpu_ms.reserve(static_cast<size_t>(frames));
  }

  const int64_t total = static_cast<int64_t>(streams) * (opt.warmup + frames);
  ProgressBar bar("resq bench", total, opt.progress);
  std::atomic<int64_t> done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  using Clock = std::chrono::steady_clock;
  // fps counts from the moment every thread has warmed up to the last thread's last frame.
  Clock::time_point measure_start;
  std::vector<Clock::time_point> measure_end(threads);
  std::barrier warmed(static_cast<std::ptrdiff_t>(threads), [&]() noexcept { measure_start = Clock::now(); });

  // Thread t runs streams t, t + threads, ... interleaved frame by frame, like a server worker.
  std::vector<int64_t> thread_buffer_bytes(threads, 0);
  auto worker = [&](size_t t) {
    bool arrived = false;
    try {
      for (int64_t f = 0; f < opt.warmup && !failed; ++f)
        for (size_t s = t; s < streams; s += threads, ++done)
          runs[s].stream->process(clip[static_cast<size_t>(f % clip_frames)]);
      for (size_t s = t; s < streams; s += threads) {
        runs[s].stream->force_keyframe();  // the measured run starts like a fresh stream
        runs[s].stream->set_node_timing(true);
      }
      arrived = true;
      warmed.arrive_and_wait();
      for (int64_t f = 0; f < frames && !failed; ++f)
        for (size_t s = t; s < streams; s += threads, ++done) {
          StreamRun& r = runs[s];
          const double cpu0 = thread_cpu_ms();
          const auto t0 = Clock::now();
          r.stream->process(clip[static_cast<size_t>(f % clip_frames)]);
          const auto t1 = Clock::now();
          r.cpu_ms.push_back(thread_cpu_ms() - cpu0);
          const FrameCost& c = r.stream->cost();
          r.latency_ms.push_back(c.latency_ms);
          if (config.bits.uses_keyframes())
            (c.keyframe ? r.keyframe_ms : r.residual_ms).push_back(c.latency_ms);
          r.engine_cpu_ms.push_back(c.cpu_ms);
          r.frame_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          r.keyframes += c.keyframe;
          r.pixels_read += c.pixels_read;
          add_phases(r.phases_ms, c.phases_ms);
          r.bops += c.bops;
          r.bops_fp32 += c.bops_fp32;
        }
      measure_end[t] = Clock::now();
      thread_buffer_bytes[t] = ValueBuffers::thread_bytes();  // gone with the thread
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
      if (!arrived) warmed.arrive_and_drop();  // the others must not wait for this thread
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  while (done < total && !failed) {
    bar.update(done, std::to_string(streams) + " stream(s), " + std::to_string(threads) + " thread(s)");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  bar.update(total);
  bar.finish();

  const Graph& graph = *loaded->graph;
  std::vector<bool> linear(graph.nodes.size(), false);
  for (size_t node : loaded->quantized->linear_nodes()) linear[node] = true;
  std::vector<double> all_latency, all_frame, all_cpu, all_engine_cpu, all_keyframe, all_residual;
  std::vector<double> node_ms(graph.nodes.size(), 0.0), node_changed(graph.nodes.size(), 0.0);
  int64_t keyframes = 0, pixels_read = 0, changed_runs = 0;
  FrameCost::Phases phases_ms;
  std::vector<FrameCost::Phases> layer_phases(loaded->quantized->linear_nodes().size());
  double bops = 0, bops_fp32 = 0;
  nlohmann::json per_stream = nlohmann::json::array();
  for (size_t s = 0; s < streams; ++s) {
    const StreamRun& r = runs[s];
    all_latency.insert(all_latency.end(), r.latency_ms.begin(), r.latency_ms.end());
    all_keyframe.insert(all_keyframe.end(), r.keyframe_ms.begin(), r.keyframe_ms.end());
    all_residual.insert(all_residual.end(), r.residual_ms.begin(), r.residual_ms.end());
    all_frame.insert(all_frame.end(), r.frame_ms.begin(), r.frame_ms.end());
    all_cpu.insert(all_cpu.end(), r.cpu_ms.begin(), r.cpu_ms.end());
    all_engine_cpu.insert(all_engine_cpu.end(), r.engine_cpu_ms.begin(), r.engine_cpu_ms.end());
    keyframes += r.keyframes;
    pixels_read += r.pixels_read;
    add_phases(phases_ms, r.phases_ms);
    const std::vector<FrameCost::Phases>& lp = r.stream->layer_phases();
    for (size_t li = 0; li < lp.size(); ++li) add_phases(layer_phases[li], lp[li]);
    bops += r.bops;
    bops_fp32 += r.bops_fp32;
    const std::vector<double>& ms = r.stream->node_ms();
    for (size_t i = 0; i < ms.size(); ++i) node_ms[i] += ms[i];
    const std::vector<double>& changed = r.stream->node_changed();
    for (size_t i = 0; i < changed.size(); ++i) node_changed[i] += changed[i];
    changed_runs += r.stream->changed_runs();
    per_stream.push_back({{"stream", s},
                          {"thread", s % threads},
                          {"latency_ms", latency_json(r.latency_ms)},
                          {"keyframes", r.keyframes},
                          {"keyframe_cache_bytes", r.stream->keyframe_cache_bytes()},
                          {"activation_buffer_bytes", r.stream->activation_buffer_bytes()},
                          {"scratch_bytes", r.stream->scratch_bytes()}});
  }
  const int64_t measured = frames * static_cast<int64_t>(streams);
  const double wall_s =
      std::chrono::duration<double>(*std::max_element(measure_end.begin(), measure_end.end()) - measure_start).count();
  const size_t linear_layers = loaded->quantized->linear_nodes().size();
  // Dynamic-ResQ: of the linear layers' input pixels on residual frames, the share the policy
  // read (change tracking skips those known to equal the keyframe's), and where a residual
  // frame's linear-layer time went (mean ms per residual frame).
  const int64_t residual_frames = measured - keyframes;
  nlohmann::json read_share = nullptr, phases = nullptr;
  if (config.bits.scheme == QuantScheme::kDynamicResQ && residual_frames > 0) {
    read_share = static_cast<double>(pixels_read) /
                 static_cast<double>(residual_frames * loaded->quantized->total_pixels());
    phases = phases_json(phases_ms, residual_frames);
  }
  nlohmann::json report = {
      {"model", opt.model},
      {"calibration", opt.calibration},
      {"video", opt.video},
      {"bits", config.bits.to_string()},
      // As `resq eval` labels them: T only where keyframes exist, tau only for Dynamic-ResQ.
      {"T", config.bits.uses_keyframes() ? config.period : 1},
      {"tau", config.bits.scheme == QuantScheme::kDynamicResQ ? nlohmann::json(config.tau) : nullptr},
      {"input", {{"height", loaded->image.height}, {"width", loaded->image.width}}},
      {"clip_frames", clip_frames},
      {"start_frame", opt.start_frame},
      {"jpeg_quality", opt.jpeg_quality > 0 ? nlohmann::json(opt.jpeg_quality) : nullptr},
      {"warmup_frames", opt.warmup},
      {"frames", frames},
      {"streams", streams},
      {"threads", threads},
      {"integer_kernels", opt.integer_kernels},
      {"change_tracking", opt.change_tracking},
      {"latency_ms", latency_json(all_latency)},
      // Keyframes and the frames between them (ResQ, Dynamic-ResQ, skip; else null).
      {"keyframe_latency_ms", all_keyframe.empty() ? nlohmann::json(nullptr) : latency_json(all_keyframe)},
      {"residual_latency_ms", all_residual.empty() ? nlohmann::json(nullptr) : latency_json(all_residual)},
      {"frame_ms", latency_json(all_frame)},
      {"cpu_ms", latency_json(all_cpu)},
      {"engine_cpu_ms", latency_json(all_engine_cpu)},
      {"wall_s", wall_s},
      {"fps", static_cast<double>(measured) / wall_s},
      {"keyframes", keyframes},
      {"keyframe_share", static_cast<double>(keyframes) / static_cast<double>(measured)},
      {"keyframe_cache_bytes", runs.front().stream->keyframe_cache_bytes()},
      // The value buffers the streams of each thread shared (ValueBuffers), summed over threads.
      {"shared_buffer_bytes",
       std::accumulate(thread_buffer_bytes.begin(), thread_buffer_bytes.end(), int64_t{0})},
      {"gbops_per_frame", bops / static_cast<double>(measured) / 1e9},
      {"ratio_to_fp32", bops / bops_fp32},
      {"pixels_read_share", read_share},
      {"residual_phases_ms", phases},
      {"layer_count", graph.nodes.size()},
      {"linear_layers", linear_layers},
      {"per_stream", per_stream},
      {"layers", layers_json(graph, linear, node_ms, measured, node_changed, changed_runs)},
      {"machine", machine_json()},
  };
  if (!phases.is_null()) {  // and by linear layer
    const std::vector<size_t>& nodes = loaded->quantized->linear_nodes();
    for (size_t li = 0; li < nodes.size(); ++li)
      report["layers"][nodes[li]]["residual_phases_ms"] =
          phases_json(layer_phases[li], residual_frames);
  }
  if (!opt.json.empty()) write_text(opt.json, report.dump(2) + "\n");

  const nlohmann::json& lat = report["latency_ms"];
  std::printf("resq bench: %s, %lld frames x %zu stream(s) on %zu thread(s)\n",
              config.bits.to_string().c_str(), static_cast<long long>(frames), streams, threads);
  std::printf("  latency ms/frame: median %.3f  p95 %.3f  mean %.3f   fps %.1f   CPU median %.3f\n",
              lat["median"].get<double>(), lat["p95"].get<double>(), lat["mean"].get<double>(),
              report["fps"].get<double>(), report["cpu_ms"]["median"].get<double>());
  std::printf("  keyframe share %.3f  KeyframeCache %zu bytes  GBOPs/frame %.3f\n",
              report["keyframe_share"].get<double>(), runs.front().stream->keyframe_cache_bytes(),
              report["gbops_per_frame"].get<double>());
  if (!read_share.is_null())
    std::printf("  residual frames: the policy read %.1f%% of the layers' input pixels\n",
                100 * read_share.get<double>());
  if (!phases.is_null()) {
    std::printf("  residual frame, mean ms:");
    for (const auto& [name, field] : kPhaseFields) std::printf(" %s %.3f", name, phases[name].get<double>());
    std::printf("\n");
  }
  std::vector<size_t> order(node_ms.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return node_ms[a] > node_ms[b]; });
  const nlohmann::json& layers = report["layers"];
  std::printf("  top layers (of %zu, %zu linear):\n", graph.nodes.size(), linear_layers);
  for (size_t k = 0; k < std::min<size_t>(static_cast<size_t>(opt.top), order.size()); ++k) {
    const nlohmann::json& l = layers[order[k]];
    std::printf("    %5.1f%%  %7.3f ms  %-14s %s\n", 100 * l["share"].get<double>(),
                l["ms_per_frame"].get<double>(), l["op"].get<std::string>().c_str(),
                l["name"].get<std::string>().c_str());
  }
}

}  // namespace

void add_bench(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Time one stream configuration on a clip decoded up front (decoding is not timed): "
      "ms/frame median, p95 and mean, fps, keyframe share, KeyframeCache bytes, GBOPs/frame and "
      "per-layer time and share; --streams/--threads for throughput. Quantized convolutions "
      "sum integer levels in int32 (--float-sums: in float, same outputs).");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx)")->required();
  cmd->add_option("--calibration", opt->calibration,
                  "Calibration file from `resq calibrate`; needed for any scheme but fp32");
  cmd->add_option("--video", opt->video, "Clip whose frames are fed (anything OpenCV decodes)")
      ->required();
  add_scheme_options(cmd, opt->scheme,
                     "Scheme in the paper's notation: fp32, W8A8, W8A8->W4A4, W8A8->W8A{0,4,8}, "
                     "W8A8->skip");
  cmd->add_option("--scheme", opt->scheme.bits, "Same as --bits")->excludes(cmd->get_option("--bits"));
  // The counts: integers with a range, default shown in --help.
  auto count = [cmd](const char* name, auto& value, const char* help, int lo, int hi = 100000) {
    cmd->add_option(name, value, help)->capture_default_str()->check(CLI::Range(lo, hi));
  };
  cmd->add_option("--start-frame", opt->start_frame,
                  "First frame of the clip to use (e.g. past the calibration's frames, as in "
                  "`resq eval --start-frame`)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  count("--frames", opt->frames, "Measured frames per stream, looping over the clip (0: the clip x --repeat)", 0);
  count("--repeat", opt->repeat, "Without --frames: run the whole clip this many times", 1);
  count("--warmup", opt->warmup, "Untimed frames per stream before measuring", 0);
  count("--streams", opt->streams, "Independent streams sharing the model", 1, 256);
  count("--threads", opt->threads, "Threads running the streams (round-robin)", 1, 256);
  count("--top", opt->top, "Layers printed, by share of the time", 0);
  count("--jpeg-quality", opt->jpeg_quality,
        "JPEG-encode and decode each resized frame at this quality, as resq-loadgen (95) and "
        "camera clients send them to resq-server: compression noise is residual that "
        "Dynamic-ResQ has to decide about (0: frames as decoded)",
        0, 100);
  cmd->add_option("--json", opt->json, "Write the report (schema in README.md) here");
  cmd->add_flag("!--no-progress", opt->progress, "Do not draw the progress bar");
  cmd->add_flag("!--float-sums", opt->integer_kernels,
                "Sum quantized levels with the float kernels instead of the integer ones (the "
                "outputs are the same; to measure what the integer kernels save)");
  cmd->add_flag("--change-tracking", opt->change_tracking,
                "Dynamic-ResQ with a 0-bit pool entry: compute residual frames only where they may "
                "differ from the keyframe (the outputs are the same; experimental, slower so far: "
                "docs/performance.md)");
  cmd->callback([opt] { bench(*opt); });
}

}  // namespace resq::cli
