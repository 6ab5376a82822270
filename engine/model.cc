#include "engine/model.h"

#include <fstream>
#include <iterator>
#include <vector>

#include "engine/error.h"
#include "engine/import/onnx_importer.h"
#include "engine/import/tflite_importer.h"
#include "engine/passes/fold_batch_norm.h"

namespace resq {
namespace {

bool has_tflite_identifier(const std::vector<uint8_t>& b) {
  return b.size() >= 8 && b[4] == 'T' && b[5] == 'F' && b[6] == 'L' && b[7] == '3';
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::shared_ptr<Graph> load_model(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelError(path + ": cannot open model file");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw ModelError(path + ": model file is empty");

  auto g = std::make_shared<Graph>();
  if (has_tflite_identifier(bytes)) {
    *g = import_tflite(path, bytes);
  } else if (ends_with(path, ".tflite")) {
    throw ModelError(path + ": not a TFLite model (file identifier is not 'TFL3')");
  } else {
    *g = import_onnx(path, bytes);
  }
  fold_batch_norm(*g);
  return g;
}

}  // namespace resq
