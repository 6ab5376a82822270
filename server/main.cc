// resq-server: ResQ streams over gRPC (resq.v1.StreamService, resq.v1.ControlService), server-side
// GStreamer pipelines, Prometheus metrics. With no arguments it serves the default model with
// its default calibration and runs the `demo` stream.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <string>
#include <thread>

#include "engine/stream/model_cache.h"
#include "server/command_line.h"
#include "server/pipeline_stream.h"
#include "server/server.h"

namespace {

// Where scripts/fetch_assets.sh puts the default model, clip and calibration (same rule as
// CMake's RESQ_ASSET_DIR).
std::string asset_dir() {
  if (const char* assets = std::getenv("RESQ_ASSET_DIR")) return assets;
  if (const char* cache = std::getenv("XDG_CACHE_HOME")) return std::string(cache) + "/resq/assets";
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.cache/resq/assets";
  return ".";
}

// The demo: the clip on a loop in real time, thinned to `fps` so that it leaves the cores to
// real streams. identity paces the frames to the clock before the leaky queue, which then drops
// frames only when resqinfer falls behind real time.
std::string demo_description(const std::string& clip, int fps) {
  std::string quoted;
  for (char c : clip) quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return "filesrc location=\"" + quoted + "\" ! decodebin ! videoconvert ! videorate ! " +
         "video/x-raw,framerate=" + std::to_string(fps) + "/1 ! " +
         "identity sync=true ! queue leaky=downstream max-size-buffers=2 ! resqinfer ! " +
         "fakesink sync=false";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "resq-server: ResQ video perception streams over gRPC, with server-side GStreamer "
      "pipelines and Prometheus metrics. Flags can also come from a --config file (TOML: "
      "`max-streams = 8`, `no-demo = true`)."};
  resq::server::ServerOptions options;
  options.metrics_listen = "127.0.0.1:9464";
  const std::string assets = asset_dir();
  std::string model_path = assets + "/selfie_segmentation.tflite";
  std::string calibration_path = assets + "/selfie_segmentation.calib.json";
  std::string demo_clip = assets + "/movie.avi";
  int demo_fps = 5;
  bool no_demo = false;
  double idle_timeout_s = 60;
  app.set_config("--config", "", "read flags from this TOML file (command-line flags win)");
  app.add_option("--listen", options.listen, "gRPC address host:port")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen,
                 "Prometheus /metrics address host:port; empty: none")
      ->capture_default_str();
  app.add_option("--model", model_path, "model file (.tflite or .onnx)")->capture_default_str();
  app.add_option("--calibration", calibration_path,
                 "calibration from `resq calibrate`; empty: streams run fp32 only")
      ->capture_default_str();
  app.add_flag("--no-demo", no_demo, "do not run the demo stream");
  app.add_option("--demo-clip", demo_clip, "the demo stream's video, looped")
      ->capture_default_str();
  app.add_option("--demo-fps", demo_fps, "frames per second the demo stream runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 120));
  app.add_option("--max-streams", options.max_streams, "streams open at once (demo included)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--workers", options.workers,
                 "threads running the gRPC streams' frames (default: one per core)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-frame-bytes", options.limits.max_frame_bytes,
                 "largest encoded image accepted per frame")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--queue-depth", options.limits.queue_depth,
                 "frames queued per stream before the oldest is dropped")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--idle-timeout", idle_timeout_s,
                 "seconds without a frame before a Process call is ended (0: never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--tls-cert", options.tls_cert_file, "PEM certificate chain: serve gRPC over TLS");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--control-token-file", options.control_token_file,
                 "file holding a bearer token that ControlService calls must carry");
  if (auto code = resq::server::parse_command_line(app, argc, argv)) return *code;
  options.limits.idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(idle_timeout_s * 1000));

  // SIGINT/SIGTERM (Ctrl-C, docker stop) shut down cleanly: blocked in every thread, waited
  // for by one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    // Only the default may be missing (an asset cache without it): a named file must exist.
    if (app.count("--calibration") == 0 && !std::filesystem::exists(calibration_path)) {
      std::cerr << "resq-server: no calibration at " << calibration_path
                << " (run scripts/fetch_assets.sh, or pass --calibration); streams run fp32 only\n";
      calibration_path.clear();
    }
    auto model = resq::acquire_model(model_path, calibration_path);
    resq::StreamSettings defaults;
    if (calibration_path.empty()) defaults.scheme = resq::QuantScheme::kFloat;
    resq::server::ResQServer server(model, defaults, options);
    std::cout << "resq-server: serving gRPC on port " << server.port() << " (model "
              << model_path << ", default " << resq::scheme_name(defaults.scheme) << " "
              << defaults.bits << ")";
    if (server.metrics_port() != 0)
      std::cout << ", metrics on port " << server.metrics_port() << " at /metrics";
    std::cout << std::endl;

    if (!no_demo) {
      resq::v1::CreatePipelineRequest demo;
      demo.set_stream_id("demo");
      demo.set_description(demo_description(demo_clip, demo_fps));
      demo.set_loop(true);
      std::shared_ptr<resq::server::StreamEntry> entry;
      const grpc::Status status = resq::server::create_pipeline(server.registry(), demo, &entry);
      if (!status.ok()) {
        std::cerr << "resq-server: the demo stream did not start (--no-demo runs without it): "
                  << status.error_message() << "\n";
        return 1;
      }
      std::cout << "resq-server: demo stream running " << demo_clip << " at " << demo_fps
                << " fps" << std::endl;
    }

    std::thread stopper([&] {
      int signal = 0;
      sigwait(&signals, &signal);
      std::cout << "resq-server: " << strsignal(signal) << ", shutting down" << std::endl;
      server.shutdown();
    });
    server.wait();
    stopper.join();
  } catch (const std::exception& e) {
    std::cerr << "resq-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
