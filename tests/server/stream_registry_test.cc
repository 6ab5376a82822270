// StreamRegistry admission: a duplicate id or a full server is refused before the stream's
// target is built (building one can start a GStreamer pipeline or allocate a KeyframeCache).
#include "server/stream_registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "server/metrics.h"

namespace resq::server {
namespace {

class IdleTarget final : public StreamTarget {
 public:
  explicit IdleTarget(StreamConfig config) : config_(std::move(config)) {}
  void set_config(const StreamSettings&, const StreamConfig& config) override { config_ = config; }
  StreamConfig config() const override { return config_; }
  void force_keyframe() override {}
  StreamMemory memory() const override { return {}; }

 private:
  StreamConfig config_;
};

TEST(StreamRegistry, RefusesDuplicatesAndOverflowWithoutBuildingATarget_n) {
  ServerMetrics metrics;
  StreamRegistry registry(nullptr, StreamSettings{}, 2, metrics);
  int built = 0;
  const TargetFactory make = [&](const StreamSettings&, const StreamConfig& config) {
    ++built;
    return std::make_unique<IdleTarget>(config);
  };
  std::shared_ptr<StreamEntry> a, b, c;
  ASSERT_TRUE(registry.open("a", "test", v1::StreamConfig{}, make, &a).ok());
  EXPECT_EQ(built, 1);

  std::shared_ptr<StreamEntry> dup;
  grpc::Status s = registry.open("a", "test", v1::StreamConfig{}, make, &dup);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find("\"a\""), std::string::npos) << s.error_message();
  EXPECT_EQ(dup, nullptr);
  EXPECT_EQ(built, 1);

  ASSERT_TRUE(registry.open("b", "test", v1::StreamConfig{}, make, &b).ok());
  s = registry.open("c", "test", v1::StreamConfig{}, make, &c);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("maximum of 2"), std::string::npos) << s.error_message();
  EXPECT_EQ(built, 2);

  registry.close(*a);  // a slot frees up: "c" opens, and "a" may be reused
  ASSERT_TRUE(registry.open("c", "test", v1::StreamConfig{}, make, &c).ok());
  EXPECT_EQ(built, 3);
  EXPECT_EQ(registry.list().size(), 2u);
}

}  // namespace
}  // namespace resq::server
