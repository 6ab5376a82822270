#include "engine/import/tflite_importer.h"
#include "engine/error.h"
namespace resq {
Graph import_tflite(const std::string& path, std::span<const uint8_t>) { throw ModelError(path + ": PLACEHOLDER"); }
}  // namespace resq
