// Dense tensor: a shape, an element type and an owned, 64-byte aligned buffer.
// The IR has one layout, NCHW for images; importers convert.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace resq {

using Shape = std::vector<int64_t>;

enum class DType : uint8_t { kFloat32, kInt64 };

const char* dtype_name(DType t);
size_t dtype_size(DType t);

// Product of dims; 1 for a scalar (rank 0).
int64_t shape_numel(const Shape& s);
// "1x3x256x256" ("scalar" for rank 0).
std::string shape_str(const Shape& s);

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor.
  explicit Tensor(Shape shape, DType dtype = DType::kFloat32);
  static Tensor from_floats(Shape shape, std::span<const float> values);
  static Tensor from_ints(Shape shape, std::span<const int64_t> values);

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int rank() const { return static_cast<int>(shape_.size()); }
  DType dtype() const { return dtype_; }
  int64_t numel() const { return numel_; }
  size_t bytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  // Bytes the storage holds: resize() up to this size does not allocate.
  size_t capacity() const { return data_ ? capacity_ : 0; }

  // Changes shape and type; keeps the allocation when it is large enough.
  // Contents are unspecified afterwards (not zeroed).
  void resize(const Shape& shape, DType dtype = DType::kFloat32);
  // Same element count, new shape; contents kept.
  void reshape(const Shape& shape);

  float* f32();
  const float* f32() const;
  int64_t* i64();
  const int64_t* i64() const;
  std::span<float> floats() { return {f32(), static_cast<size_t>(numel_)}; }
  std::span<const float> floats() const { return {f32(), static_cast<size_t>(numel_)}; }
  std::span<const int64_t> ints() const { return {i64(), static_cast<size_t>(numel_)}; }

  // Reads element i as double whatever the dtype (for small parameter tensors).
  double at_as_double(int64_t i) const;

 private:
  struct AlignedFree {
    void operator()(std::byte* p) const;
  };
  void allocate(size_t bytes);

  Shape shape_;
  DType dtype_ = DType::kFloat32;
  int64_t numel_ = 0;
  size_t capacity_ = 0;
  std::unique_ptr<std::byte[], AlignedFree> data_;
};

}  // namespace resq
