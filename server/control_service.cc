#include "server/control_service.h"

#include <stdexcept>
#include <string>

#include "server/pipeline_stream.h"

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

// Compares all of both: the time taken does not tell how much of a guess was right.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace

grpc::Status ControlServiceImpl::authorize(const grpc::CallbackServerContext& context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end())
    return {grpc::StatusCode::UNAUTHENTICATED,
            "control calls need the metadata `authorization: Bearer <token>` "
            "(the server runs with --control-token-file)"};
  const std::string_view value(it->second.data(), it->second.size());
  if (!equal_in_constant_time(value, "Bearer " + token_))
    return {grpc::StatusCode::UNAUTHENTICATED, "authorization: not the server's bearer token"};
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ControlServiceImpl::ListStreams(grpc::CallbackServerContext* context,
                                                          const v1::ListStreamsRequest*,
                                                          v1::ListStreamsResponse* response) {
  if (grpc::Status denied = authorize(*context); !denied.ok()) return finish(context, denied);
  for (const auto& entry : registry_.list()) *response->add_streams() = entry->info();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::GetStream(grpc::CallbackServerContext* context,
                                                        const v1::GetStreamRequest* request,
                                                        v1::StreamInfo* response) {
  if (grpc::Status denied = authorize(*context); !denied.ok()) return finish(context, denied);
  auto entry = registry_.find(request->stream_id());
  if (!entry) return finish(context, not_found(request->stream_id()));
  *response = entry->info();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::UpdateStreamConfig(
    grpc::CallbackServerContext* context, const v1::UpdateStreamConfigRequest* request,
    v1::StreamInfo* response) {
  if (grpc::Status denied = authorize(*context); !denied.ok()) return finish(context, denied);
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
  if (grpc::Status denied = authorize(*context); !denied.ok()) return finish(context, denied);
  auto entry = registry_.find(request->stream_id());
  if (!entry) return finish(context, not_found(request->stream_id()));
  entry->force_keyframe();
  return finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* ControlServiceImpl::CreatePipeline(
    grpc::CallbackServerContext* context, const v1::CreatePipelineRequest* request,
    v1::StreamInfo* response) {
  if (grpc::Status denied = authorize(*context); !denied.ok()) return finish(context, denied);
  std::shared_ptr<StreamEntry> entry;
  grpc::Status status = create_pipeline(registry_, *request, &entry);
  // Starting can take seconds (a network source): a client whose deadline passed meanwhile
  // has its answer already, and must not be left with a pipeline it believes failed.
  if (status.ok() && context->IsCancelled()) {
    delete_pipeline(registry_, request->stream_id());
    return finish(context, {grpc::StatusCode::CANCELLED, "the call ended while the pipeline started"});
  }
  if (status.ok()) *response = entry->info();
  return finish(context, std::move(status));
}

grpc::ServerUnaryReactor* ControlServiceImpl::DeletePipeline(
    grpc::CallbackServerContext* context, const v1::DeletePipelineRequest* request,
    v1::DeletePipelineResponse*) {
  if (grpc::Status denied = authorize(*context); !denied.ok()) return finish(context, denied);
  return finish(context, delete_pipeline(registry_, request->stream_id()));
}

}  // namespace resq::server
