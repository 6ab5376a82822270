#include "engine/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace resq {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kInt64: return "int64";
  }
  return "?";
}

size_t dtype_size(DType t) { return t == DType::kInt64 ? 8 : 4; }

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) {
  if (s.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += 'x';
    out += s[i] < 0 ? std::string("?") : std::to_string(s[i]);
  }
  return out;
}

void Tensor::AlignedFree::operator()(std::byte* p) const { std::free(p); }

void Tensor::allocate(size_t bytes) {
  if (bytes <= capacity_ && data_) return;
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  auto* p = static_cast<std::byte*>(std::aligned_alloc(64, rounded));
  if (!p) throw std::bad_alloc();
  data_.reset(p);
  capacity_ = rounded;
}

Tensor::Tensor(Shape shape, DType dtype) {
  resize(shape, dtype);
  std::memset(data_.get(), 0, bytes());
}

Tensor Tensor::from_floats(Shape shape, std::span<const float> values) {
  Tensor t;
  t.resize(shape, DType::kFloat32);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw std::invalid_argument("Tensor::from_floats: " + std::to_string(values.size()) +
                                " values for shape " + shape_str(shape));
  if (!values.empty()) std::memcpy(t.f32(), values.data(), t.bytes());  // an empty span may be null
  return t;
}

Tensor Tensor::from_ints(Shape shape, std::span<const int64_t> values) {
  Tensor t;
  t.resize(shape, DType::kInt64);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw std::invalid_argument("Tensor::from_ints: " + std::to_string(values.size()) +
                                " values for shape " + shape_str(shape));
  std::memcpy(t.i64(), values.data(), t.bytes());
  return t;
}

Tensor::Tensor(const Tensor& other) { *this = other; }

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  resize(other.shape_, other.dtype_);
  if (other.bytes()) std::memcpy(data_.get(), other.data_.get(), other.bytes());
  return *this;
}

void Tensor::resize(const Shape& shape, DType dtype) {
  for (int64_t d : shape)
    if (d < 0) throw std::invalid_argument("Tensor: negative dimension in shape " + shape_str(shape));
  shape_ = shape;
  dtype_ = dtype;
  numel_ = shape_numel(shape);
  allocate(bytes());
}

void Tensor::reshape(const Shape& shape) {
  if (shape_numel(shape) != numel_)
    throw std::invalid_argument("Tensor::reshape: " + shape_str(shape_) + " -> " + shape_str(shape));
  shape_ = shape;
}

float* Tensor::f32() { return reinterpret_cast<float*>(data_.get()); }
const float* Tensor::f32() const { return reinterpret_cast<const float*>(data_.get()); }
int64_t* Tensor::i64() { return reinterpret_cast<int64_t*>(data_.get()); }
const int64_t* Tensor::i64() const { return reinterpret_cast<const int64_t*>(data_.get()); }

double Tensor::at_as_double(int64_t i) const {
  return dtype_ == DType::kInt64 ? static_cast<double>(i64()[i]) : static_cast<double>(f32()[i]);
}

}  // namespace resq
