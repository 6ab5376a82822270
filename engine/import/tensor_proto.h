// ONNX TensorProto <-> Tensor, and .pb files holding one TensorProto (the format of ONNX's
// test data and of `resq run-tensors`).
#pragma once

#include <string>

#include "engine/tensor.h"
#include "onnx/onnx_pb.h"

namespace resq {

// `where` prefixes error messages (e.g. "model.onnx: initializer 'w'"). Throws ModelError.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& where);
onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name);

// Throws ModelError naming the file.
Tensor read_tensor_file(const std::string& path, std::string* name = nullptr);
void write_tensor_file(const std::string& path, const Tensor& t, const std::string& name);

}  // namespace resq
