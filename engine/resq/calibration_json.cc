#include "engine/resq/calibration_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

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

  [[noreturn]] void fail(const std::string& message) const {
    throw ModelError(file_ + ": " + message);
  }

  [[noreturn]] void bad_value(const std::string& field, const json& v,
                              const std::string& expected) const {
    std::string shown = v.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    fail("field '" + field + "' has bad value " + shown + " (expected " + expected + ")");
  }

  const json& field(const json& obj, const std::string& parent, const std::string& name) const {
    auto it = obj.find(name);
    if (it == obj.end()) fail("missing field '" + path(parent, name) + "'");
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
      bad_value(path(parent, name), v,
                "an integer in " + std::to_string(min) + ".." + std::to_string(max));
    return v.get<int64_t>();
  }

  std::map<int, double> clips(const json& obj, const std::string& parent,
                              const std::string& name) const {
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
  const std::string theirs = "the calibration (made for " + c.model.file + ")";
  const std::vector<std::string> names = linear_layer_names(g);
  if (c.layers.size() != names.size())
    r.fail("made for a different model: layer count differs: " + theirs + " has " +
           std::to_string(c.layers.size()) + " linear layers, " + g.source + " has " +
           std::to_string(names.size()));
  for (size_t i = 0; i < names.size(); ++i)
    if (c.layers[i].node != names[i])
      r.fail("made for a different model: layer " + std::to_string(i) + " name differs: '" +
             c.layers[i].node + "' in " + theirs + ", '" + names[i] + "' in " + g.source);
  const uint64_t fingerprint = model_fingerprint(g);
  if (c.model_fingerprint != fingerprint)
    r.fail("made for a different model: weights fingerprint differs: " +
           hex64(c.model_fingerprint) + " in " + theirs + ", " + hex64(fingerprint) + " for " +
           g.source + " (same layer names, other weights)");
}

}  // namespace

void save_calibration(const std::string& path, const Calibration& c) {
  ordered_json layers = ordered_json::array();
  for (const LayerCalibration& l : c.layers)
    layers.push_back({{"node", l.node},
                      {"key_clip", clips_json(l.key_clip)},
                      {"residual_clip", clips_json(l.residual_clip)}});
  const ordered_json doc = {{"format_version", kFormatVersion},
                            {"model",
                             {{"file", c.model.file},
                              {"format", c.model.format},
                              {"linear_layers", c.model.linear_layers},
                              {"linear_macs", c.model.linear_macs},
                              {"fingerprint", hex64(c.model_fingerprint)}}},
                            {"recipe",
                             {{"samples", c.recipe.samples},
                              {"search_points", c.recipe.search_points},
                              {"max_distance", c.recipe.max_distance},
                              {"weights", granularity_name(c.recipe.weights)},
                              {"clip", c.recipe.clip},
                              {"start_frame", c.recipe.start_frame},
                              {"frames", c.recipe.frames}}},
                            {"layers", layers}};
  std::ofstream f(path);
  if (!(f << doc.dump(1) << "\n")) throw ModelError(path + ": cannot write the calibration file");
}

Calibration load_calibration(const std::string& path, const Graph& g) {
  const Reader r(path);
  std::ifstream f(path);
  if (!f) r.fail("cannot open the calibration file (missing or unreadable)");
  const json doc = json::parse(f, nullptr, false);
  if (doc.is_discarded()) r.fail("not a calibration file: not valid JSON");
  if (!doc.is_object()) r.fail("not a calibration file: the JSON is not an object");

  const int64_t version = r.integer(doc, "", "format_version", 0, kInt64Max);
  if (version != kFormatVersion)
    r.bad_value("format_version", version, "version " + std::to_string(kFormatVersion));

  Calibration c;
  const json& model = r.object(doc, "", "model");
  c.model.file = r.string(model, "model", "file");
  c.model.format = r.string(model, "model", "format");
  c.model.linear_layers = r.integer(model, "model", "linear_layers", 0, kInt64Max);
  c.model.linear_macs = r.integer(model, "model", "linear_macs", 0, kInt64Max);
  c.model_fingerprint = parse_fingerprint(r, model);

  const json& recipe = r.object(doc, "", "recipe");
  c.recipe.samples = static_cast<int>(r.integer(recipe, "recipe", "samples", 1, kIntMax));
  c.recipe.search_points =
      static_cast<int>(r.integer(recipe, "recipe", "search_points", 1, kIntMax));
  c.recipe.max_distance = static_cast<int>(r.integer(recipe, "recipe", "max_distance", 1, kIntMax));
  const std::string weights = r.string(recipe, "recipe", "weights");
  if (weights != "per_channel" && weights != "per_tensor")
    r.bad_value("recipe.weights", weights, "\"per_channel\" or \"per_tensor\"");
  c.recipe.weights =
      weights == "per_tensor" ? WeightGranularity::kPerTensor : WeightGranularity::kPerChannel;
  c.recipe.clip = r.string(recipe, "recipe", "clip");
  c.recipe.start_frame = r.integer(recipe, "recipe", "start_frame", 0, kInt64Max);
  c.recipe.frames = r.integer(recipe, "recipe", "frames", 0, kInt64Max);

  const json& layers = r.field(doc, "", "layers");
  if (!layers.is_array()) r.bad_value("layers", layers, "an array");
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string at = "layers[" + std::to_string(i) + "]";
    if (!layers[i].is_object()) r.bad_value(at, layers[i], "an object");
    LayerCalibration l;
    l.node = r.string(layers[i], at, "node");
    l.key_clip = r.clips(layers[i], at, "key_clip");
    l.residual_clip = r.clips(layers[i], at, "residual_clip");
    c.layers.push_back(std::move(l));
  }
  if (static_cast<int64_t>(c.layers.size()) != c.model.linear_layers)
    r.bad_value("model.linear_layers", c.model.linear_layers,
                "the number of entries in layers, " + std::to_string(c.layers.size()));
  check_model(r, c, g);
  return c;
}

}  // namespace resq
