// resq.v1.ControlService over the StreamRegistry: the same calls for every stream, whether a
// gRPC client or a server-side pipeline runs it.
#pragma once

#include <string>

#include "resq/v1/control.grpc.pb.h"
#include "server/stream_registry.h"

namespace resq::server {

class ControlServiceImpl final : public v1::ControlService::CallbackService {
 public:
  // A non-empty `token`: every call needs the metadata `authorization: Bearer <token>`, else
  // UNAUTHENTICATED.
  ControlServiceImpl(StreamRegistry& registry, std::string token)
      : registry_(registry), token_(std::move(token)) {}

  grpc::ServerUnaryReactor* ListStreams(grpc::CallbackServerContext* context,
                                        const v1::ListStreamsRequest* request,
                                        v1::ListStreamsResponse* response) override;
  grpc::ServerUnaryReactor* GetStream(grpc::CallbackServerContext* context,
                                      const v1::GetStreamRequest* request,
                                      v1::StreamInfo* response) override;
  grpc::ServerUnaryReactor* UpdateStreamConfig(grpc::CallbackServerContext* context,
                                               const v1::UpdateStreamConfigRequest* request,
                                               v1::StreamInfo* response) override;
  grpc::ServerUnaryReactor* ForceKeyframe(grpc::CallbackServerContext* context,
                                          const v1::ForceKeyframeRequest* request,
                                          v1::ForceKeyframeResponse* response) override;
  grpc::ServerUnaryReactor* CreatePipeline(grpc::CallbackServerContext* context,
                                           const v1::CreatePipelineRequest* request,
                                           v1::StreamInfo* response) override;
  grpc::ServerUnaryReactor* DeletePipeline(grpc::CallbackServerContext* context,
                                           const v1::DeletePipelineRequest* request,
                                           v1::DeletePipelineResponse* response) override;

 private:
  grpc::Status authorize(const grpc::CallbackServerContext& context) const;

  StreamRegistry& registry_;
  const std::string token_;
};

}  // namespace resq::server
