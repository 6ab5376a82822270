// ONNX ModelProto (default domain, opsets 7-17) -> Graph. Ops are translated to their latest
// ONNX form (e.g. Clip/Pad attributes of old opsets become constant inputs), Constant nodes
// become constants, inference-mode Identity/Dropout are aliased away and nodes are sorted
// topologically.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/graph.h"

namespace resq {

// Highest default-domain opset the importer understands.
inline constexpr int64_t kMaxOnnxOpset = 17;

// `path` is used in error messages only. Throws ModelError.
Graph import_onnx(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace resq
