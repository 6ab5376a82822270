#include "engine/import/onnx_importer.h"
#include "engine/error.h"
namespace resq {
Graph import_onnx(const std::string& path, std::span<const uint8_t>) { throw ModelError(path + ": PLACEHOLDER"); }
}  // namespace resq
