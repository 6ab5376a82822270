#include "engine/import/tensor_proto.h"
#include "engine/error.h"
namespace resq {
Tensor tensor_from_proto(const onnx::TensorProto&, const std::string& where) { throw ModelError(where + ": PLACEHOLDER"); }
onnx::TensorProto tensor_to_proto(const Tensor&, const std::string&) { throw ModelError("PLACEHOLDER"); }
Tensor read_tensor_file(const std::string& path, std::string*) { throw ModelError(path + ": PLACEHOLDER"); }
void write_tensor_file(const std::string& path, const Tensor&, const std::string&) { throw ModelError(path + ": PLACEHOLDER"); }
}  // namespace resq
