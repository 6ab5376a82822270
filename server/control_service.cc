#include "server/control_service.h"

#include <stdexcept>
#include <string>

namespace resq::server {
namespace {

grpc::ServerUnaryReactor* finish(grpc::CallbackServerContext* context, grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

grpc::Status not_found(const std::string& id) {
  return {grpc::StatusCode::NOT_FOUND, "stream_id: no open stream \"" + id + "\""};
}

}  // namespace

grpc::ServerUnaryReactor* ControlServiceImpl::ListStreams(grpc::CallbackServerContext* context,
                                                          const v1::ListStreamsRequest*,
                                                          v1::ListStreamsResponse* response) {
  for (const auto& entry : registry_.list()) *response->add_streams() = entry->info();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::GetStream(grpc::CallbackServerContext* context,
                                                        const v1::GetStreamRequest* request,
                                                        v1::StreamInfo* response) {
  auto entry = registry_.find(request->stream_id());
  if (!entry) return finish(context, not_found(request->stream_id()));
  *response = entry->info();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::UpdateStreamConfig(
    grpc::CallbackServerContext* context, const v1::UpdateStreamConfigRequest* request,
    v1::StreamInfo* response) {
  auto entry = registry_.find(request->stream_id());
  if (!entry) return finish(context, not_found(request->stream_id()));
  try {
    entry->update(request->config());
  } catch (const std::invalid_argument& e) {
    return finish(context,
                  {grpc::StatusCode::INVALID_ARGUMENT, std::string("config: ") + e.what()});
  }
  *response = entry->info();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::ForceKeyframe(
    grpc::CallbackServerContext* context, const v1::ForceKeyframeRequest* request,
    v1::ForceKeyframeResponse*) {
  auto entry = registry_.find(request->stream_id());
  if (!entry) return finish(context, not_found(request->stream_id()));
  entry->force_keyframe();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::CreatePipeline(
    grpc::CallbackServerContext* context, const v1::CreatePipelineRequest*, v1::StreamInfo*) {
  return finish(context, {grpc::StatusCode::UNIMPLEMENTED, "server-side pipelines: not yet"});
}

grpc::ServerUnaryReactor* ControlServiceImpl::DeletePipeline(
    grpc::CallbackServerContext* context, const v1::DeletePipelineRequest*,
    v1::DeletePipelineResponse*) {
  return finish(context, {grpc::StatusCode::UNIMPLEMENTED, "server-side pipelines: not yet"});
}

}  // namespace resq::server
