// Server-side GStreamer pipelines as registry streams (ControlService.CreatePipeline and the
// demo stream). The pipeline's resqinfer runs the server's model; the control plane sets its
// settings, and a probe on its src pad counts every frame's GstResQMeta into the stream's totals
// and metrics. A pipeline that errors (or ends, unless looping) leaves the registry by itself.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/support/status.h>

#include "resq/v1/control.pb.h"
#include "server/stream_registry.h"

namespace resq::server {

// Parses request.description (gst-launch syntax, exactly one resqinfer), opens stream
// request.stream_id with origin "pipeline" and starts it. The stream's config: the server's
// defaults, then the resqinfer properties the description sets, then request.config.
// INVALID_ARGUMENT names what was wrong (syntax, missing element, no or several resqinfer,
// another model or calibration, a bad config, GStreamer's error when it does not start);
// otherwise the registry's codes.
grpc::Status create_pipeline(StreamRegistry& registry, const v1::CreatePipelineRequest& request,
                             std::shared_ptr<StreamEntry>* opened);

// Stops and removes a pipeline stream: NOT_FOUND, or FAILED_PRECONDITION for a gRPC client's
// stream (it ends when its client closes).
grpc::Status delete_pipeline(StreamRegistry& registry, const std::string& stream_id);

}  // namespace resq::server
