// resq-health-probe: asks a gRPC server's grpc.health.v1 service whether it serves; for
// container health checks (Docker HEALTHCHECK, Kubernetes exec probes).
#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <iostream>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/channel_credentials.h"
#include "server/command_line.h"

namespace {

constexpr int kServing = 0;
constexpr int kNotServing = 1;
constexpr int kUnreachable = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "resq-health-probe: exit 0 when the gRPC server at --address reports SERVING, 1 when it "
      "reports anything else, 2 when it cannot be asked (unreachable, timeout, TLS failure)"};
  std::string address = "127.0.0.1:50051";
  std::string service;
  std::string tls_ca;
  double timeout_s = 3;
  bool quiet = false;
  app.add_option("--address", address, "server host:port")->capture_default_str();
  app.add_option("--service", service, "service name to ask about; empty: the whole server");
  app.add_option("--tls-ca", tls_ca, "PEM root certificate: connect with TLS");
  app.add_option("--timeout", timeout_s, "seconds to wait for the answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--quiet", quiet, "print nothing");
  if (auto code = resq::server::parse_command_line(app, argc, argv)) return *code;

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  try {
    credentials = resq::server::channel_credentials(tls_ca);
  } catch (const std::runtime_error& e) {
    std::cerr << "resq-health-probe: " << e.what() << "\n";
    return kUnreachable;
  }
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    if (!quiet)
      std::cerr << "resq-health-probe: " << address << ": " << status.error_message() << "\n";
    return kUnreachable;
  }
  const std::string name = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
  if (!quiet) std::cout << address << ": " << name << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kServing
                                                                              : kNotServing;
}
