// resq-server's gRPC server: StreamService, ControlService, health and reflection over one
// StreamRegistry. Used by main.cc and, in process, by the tests.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/server.h>

#include "server/control_service.h"
#include "server/metrics.h"
#include "server/stream_registry.h"
#include "server/stream_service.h"

namespace resq::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks a free one
  size_t max_streams = 16;
  // Threads running the Process calls' frames (server-side pipelines run on GStreamer's own).
  size_t workers = std::max(1u, std::thread::hardware_concurrency());
  StreamLimits limits;
  // Prometheus /metrics address (port 0 picks a free one); empty serves none. resq-server's
  // --metrics-listen defaults to 127.0.0.1:9464; here it is off so tests can run in parallel.
  std::string metrics_listen;
  // PEM files: both set serve TLS only; both empty serve plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A file holding the bearer token control calls must carry; empty: no token needed.
  std::string control_token_file;
};

class ResQServer {
 public:
  // Throws std::runtime_error naming the address or file when it cannot listen or read one.
  ResQServer(std::shared_ptr<const LoadedModel> model, StreamSettings defaults,
             const ServerOptions& options);
  ~ResQServer();

  int port() const { return port_; }  // the port bound
  int metrics_port() const { return metrics_.port(); }  // 0: no metrics endpoint
  StreamRegistry& registry() { return registry_; }
  void wait() { server_->Wait(); }
  void shutdown() { server_->Shutdown(); }

 private:
  ServerMetrics metrics_;  // before the registry, whose streams hold series of it
  StreamRegistry registry_;
  StreamServiceImpl stream_service_;
  ControlServiceImpl control_service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace resq::server
