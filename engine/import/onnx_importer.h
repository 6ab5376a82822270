// ONNX ModelProto (opsets 11-17) -> Graph.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/graph.h"

namespace resq {

// `path` is used in error messages only. Throws ModelError.
Graph import_onnx(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace resq
