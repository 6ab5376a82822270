// TFLite flatbuffer -> Graph (NCHW). Reads the file through flatbuffers' generic table access,
// so there is no TensorFlow dependency.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "engine/graph.h"

namespace resq {

// `path` is used in error messages only. Throws ModelError.
Graph import_tflite(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace resq
