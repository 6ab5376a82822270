// What the control plane drives in a stream: the engine stream of a Process call, or the
// resqinfer element of a server-side pipeline (pipeline_stream.h).
#pragma once

#include <cstddef>
#include <memory>

#include "engine/stream/resq_stream.h"
#include "engine/stream/stream_settings.h"
#include "server/stream_memory.h"

namespace resq::server {

class StreamTarget {
 public:
  virtual ~StreamTarget() = default;
  // `config` is `settings` resolved. Throws std::invalid_argument naming the problem when the
  // model cannot run it, and keeps the old config. Takes effect from the next frame.
  virtual void set_config(const StreamSettings& settings, const StreamConfig& config) = 0;
  virtual StreamConfig config() const = 0;
  virtual void force_keyframe() = 0;
  virtual StreamMemory memory() const = 0;
  // Called before the stream's entry goes away: no frame reaches the entry afterwards.
  virtual void stop() {}
};

// A Process call's stream: frames run on the call's worker (stream_service.cc).
class EngineTarget final : public StreamTarget {
 public:
  // Throws std::invalid_argument like ResQStream.
  EngineTarget(std::shared_ptr<const LoadedModel> model, const StreamConfig& config)
      : stream_(std::move(model), config, std::nullopt) {}

  ResQStream& stream() { return stream_; }

  void set_config(const StreamSettings&, const StreamConfig& config) override {
    stream_.set_config(config);
  }
  StreamConfig config() const override { return stream_.config(); }
  void force_keyframe() override { stream_.force_keyframe(); }
  StreamMemory memory() const override {
    return {stream_.keyframe_cache_bytes(), static_cast<size_t>(stream_.activation_buffer_bytes()),
            static_cast<size_t>(stream_.scratch_bytes())};
  }

 private:
  ResQStream stream_;
};

}  // namespace resq::server
