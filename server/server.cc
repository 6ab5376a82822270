#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace resq::server {
namespace {

std::string read_file(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf()))
    throw std::runtime_error(flag + " " + path + ": cannot read the file");
  return text.str();
}

std::string read_token(const std::string& path) {
  if (path.empty()) return "";
  std::string token = read_file("--control-token-file", path);
  token.erase(token.find_last_not_of(" \t\r\n") + 1);  // editors end files with a newline
  token.erase(0, token.find_first_not_of(" \t\r\n"));
  if (token.empty())
    throw std::runtime_error("--control-token-file " + path + ": the file holds no token");
  return token;
}

std::shared_ptr<grpc::ServerCredentials> credentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty())
    return grpc::InsecureServerCredentials();
  if (options.tls_cert_file.empty() || options.tls_key_file.empty())
    throw std::runtime_error("--tls-cert and --tls-key go together (one of them is missing)");
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({read_file("--tls-key", options.tls_key_file),
                                    read_file("--tls-cert", options.tls_cert_file)});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

ResQServer::ResQServer(std::shared_ptr<const LoadedModel> model, StreamSettings defaults,
                       const ServerOptions& options)
    : registry_(std::move(model), std::move(defaults), options.max_streams, metrics_),
      stream_service_(registry_, options.limits, options.workers),
      control_service_(registry_, read_token(options.control_token_file)) {
  if (!options.metrics_listen.empty()) metrics_.expose(options.metrics_listen);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials(options), &port_);
  // Room for the largest accepted image plus the message around it; larger images still
  // arrive and get a FrameError naming the limit, up to twice the limit.
  builder.SetMaxReceiveMessageSize(static_cast<int>(2 * options.limits.max_frame_bytes + 65536));
  builder.RegisterService(&stream_service_);
  builder.RegisterService(&control_service_);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0)
    throw std::runtime_error("--listen " + options.listen +
                             ": cannot listen there (or the TLS key and certificate do not match)");
}

ResQServer::~ResQServer() {
  server_->Shutdown();
  server_->Wait();
}

}  // namespace resq::server
