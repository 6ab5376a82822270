// Errors about a model or its inputs. what() is one line a user can act on:
// "model.onnx: node 'conv1' (Conv): weight has rank 3, expected 4".
#pragma once

#include <stdexcept>
#include <string>

namespace resq {

class ModelError : public std::runtime_error {
 public:
  explicit ModelError(const std::string& what) : std::runtime_error(what) {}
};

// Thrown by op code with only the reason; the executor adds file and node.
class OpError : public std::runtime_error {
 public:
  explicit OpError(const std::string& reason) : std::runtime_error(reason) {}
};

}  // namespace resq
