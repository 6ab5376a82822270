// resq-server: ResQ streams over gRPC (resq.v1.StreamService, resq.v1.ControlService).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "engine/stream/model_cache.h"
#include "server/server.h"

namespace {

// Where scripts/fetch_assets.sh puts the default model (same rule as CMake's RESQ_ASSET_DIR).
std::string default_model_path() {
  std::string dir;
  if (const char* assets = std::getenv("RESQ_ASSET_DIR")) {
    dir = assets;
  } else if (const char* cache = std::getenv("XDG_CACHE_HOME")) {
    dir = std::string(cache) + "/resq/assets";
  } else if (const char* home = std::getenv("HOME")) {
    dir = std::string(home) + "/.cache/resq/assets";
  }
  return dir + "/selfie_segmentation.tflite";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"resq-server: ResQ video perception streams over gRPC"};
  resq::server::ServerOptions options;
  options.metrics_listen = "127.0.0.1:9464";
  std::string model_path = default_model_path();
  std::string calibration_path;
  app.add_option("--listen", options.listen, "gRPC address host:port")->capture_default_str();
  app.add_option("--metrics-listen", options.metrics_listen,
                 "Prometheus /metrics address host:port; empty: none")
      ->capture_default_str();
  app.add_option("--model", model_path, "model file (.tflite or .onnx)")->capture_default_str();
  app.add_option("--calibration", calibration_path,
                 "calibration from `resq calibrate`; without one streams run fp32 only");
  app.add_option("--max-streams", options.max_streams, "streams open at once")
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
  CLI11_PARSE(app, argc, argv);

  try {
    auto model = resq::acquire_model(model_path, calibration_path);
    resq::StreamSettings defaults;
    if (calibration_path.empty()) defaults.scheme = resq::QuantScheme::kFloat;
    resq::server::ResQServer server(model, defaults, options);
    std::cout << "resq-server: serving gRPC on port " << server.port() << " (model "
              << model_path << ", default scheme " << resq::scheme_name(defaults.scheme) << ")";
    if (server.metrics_port() != 0)
      std::cout << ", metrics on port " << server.metrics_port() << " at /metrics";
    std::cout << std::endl;
    server.wait();
  } catch (const std::exception& e) {
    std::cerr << "resq-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
