#include "engine/stream/model_cache.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <utility>

#include "engine/error.h"
#include "engine/model.h"
#include "engine/resq/calibration.h"
#include "engine/resq/calibration_json.h"

namespace resq {
namespace {

std::string canonical_or_same(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

std::shared_ptr<const LoadedModel> load(const std::string& model_path,
                                        const std::string& calibration_path) {
  auto model = std::make_shared<LoadedModel>();
  model->model_path = model_path;
  model->calibration_path = calibration_path;
  std::shared_ptr<Graph> graph = load_model(model_path);
  model->image = find_image_input(*graph);
  if (graph->inputs.size() != 1)
    throw ModelError(model_path + ": a ResQ stream needs a model with one (image) input, it has " +
                     std::to_string(graph->inputs.size()));
  model->output_name = graph->values[static_cast<size_t>(graph->outputs.at(0))].name;
  // Without a calibration fp32 still runs through a StreamSession (costs, skip scheme).
  const Calibration calibration =
      calibration_path.empty() ? uncalibrated(*graph) : load_calibration(calibration_path, *graph);
  model->quantized =
      std::make_shared<const QuantizedModel>(graph, calibration, calibration.recipe.weights);
  model->graph = std::move(graph);
  return model;
}

}  // namespace

std::shared_ptr<const LoadedModel> acquire_model(const std::string& model_path,
                                                 const std::string& calibration_path) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, std::weak_ptr<const LoadedModel>> cache;
  const auto key =
      std::make_pair(canonical_or_same(model_path), canonical_or_same(calibration_path));
  // Held while loading, so that concurrent elements asking for the same files load them once.
  std::lock_guard lock(mutex);
  std::erase_if(cache, [](const auto& entry) { return entry.second.expired(); });
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto loaded = it->second.lock()) return loaded;
  }
  auto loaded = load(model_path, calibration_path);
  cache[key] = loaded;
  return loaded;
}

}  // namespace resq
