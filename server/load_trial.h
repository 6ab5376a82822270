// One resq-loadgen run: N camera-like streams at a fixed frame rate against a resq-server for a
// fixed time, measuring what each frame took from send to result and what was dropped.
#pragma once

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "resq/v1/stream.grpc.pb.h"

namespace resq::server {

struct LoadOptions {
  std::string video;
  double fps = 30;
  double seconds = 10;
  double warmup = 2;
  int width = 256;
  int height = 256;
  std::string encoding = "jpeg";  // how frames are sent: jpeg, png or raw (raw_rgb8)
  v1::StreamConfig config;
  double max_p99_ms = 0;  // the target; 0: one frame interval
};

// The clip's first 300 frames, resized and encoded as `opt.encoding` says, ready to send.
// Throws std::runtime_error naming the clip when it has none.
std::vector<v1::Frame> encode_clip(const LoadOptions& opt);

struct LoadTrial {
  nlohmann::json summary;  // counts, latency percentiles, "meets_target"
  bool meets = false;      // no failed call, no drop, no error, p99 under the target
  std::string failure;     // a failed call's error; empty when every stream ran
};

// `streams` streams (ids `id_prefix`-0, -1, ...) sending `frames` in a loop, started spread over
// one frame interval as independent cameras would be.
LoadTrial run_load_trial(v1::StreamService::Stub& stub, const LoadOptions& opt, int streams,
                         const std::vector<v1::Frame>& frames, const std::string& id_prefix);

// The one-line report of a trial, e.g. "8 streams x 30 fps, 256x256 jpeg: sent 2888, ...".
std::string describe(const LoadTrial& trial);

}  // namespace resq::server
