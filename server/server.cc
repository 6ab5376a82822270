#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <stdexcept>

namespace resq::server {

ResQServer::ResQServer(std::shared_ptr<const LoadedModel> model, StreamSettings defaults,
                       const ServerOptions& options)
    : registry_(std::move(model), std::move(defaults), options.max_streams, metrics_),
      stream_service_(registry_, options.limits),
      control_service_(registry_) {
  if (!options.metrics_listen.empty()) metrics_.expose(options.metrics_listen);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port_);
  // Room for the largest accepted image plus the message around it; larger images still
  // arrive and get a FrameError naming the limit, up to twice the limit.
  builder.SetMaxReceiveMessageSize(static_cast<int>(2 * options.limits.max_frame_bytes + 65536));
  builder.RegisterService(&stream_service_);
  builder.RegisterService(&control_service_);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0)
    throw std::runtime_error("--listen " + options.listen + ": cannot listen there");
}

ResQServer::~ResQServer() {
  server_->Shutdown();
  server_->Wait();
}

}  // namespace resq::server
