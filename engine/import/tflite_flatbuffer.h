// Bounds-checked generic access to a flatbuffer without generated code: every table, vector and
// string is verified with flatbuffers::Verifier before it is read, so a truncated or corrupt file
// raises FlatbufferError instead of reading out of bounds.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "engine/import/tflite_schema.h"

namespace resq::tflite {

static_assert(FLATBUFFERS_LITTLEENDIAN, "vectors are read in place; needs a little-endian host");

class FlatbufferError : public std::runtime_error {
 public:
  explicit FlatbufferError(const std::string& what) : std::runtime_error(what) {}
};

class TableRef;
class FlatbufferFile;

// A verified vector of tables; elements are verified when accessed.
class TableVector {
 public:
  TableVector() = default;
  TableVector(const flatbuffers::Vector<flatbuffers::uoffset_t>* v, FlatbufferFile* file,
              const char* what)
      : vec_(v), file_(file), what_(what) {}
  size_t size() const { return vec_ ? vec_->size() : 0; }
  TableRef at(size_t i) const;

 private:
  const flatbuffers::Vector<flatbuffers::uoffset_t>* vec_ = nullptr;
  FlatbufferFile* file_ = nullptr;
  const char* what_ = "";
};

// A verified table. Field accessors take schema field ids.
class TableRef {
 public:
  // Verifies the table header and vtable at `table`.
  TableRef(const uint8_t* table, FlatbufferFile* file, const char* what);

  template <typename T>
  T scalar(int id, T def) const {
    if (!table()->VerifyField<T>(verifier(), vtable_offset(id), sizeof(T))) fail("field");
    return table()->GetField<T>(vtable_offset(id), def);
  }
  bool has(int id) const { return table()->CheckField(vtable_offset(id)); }
  std::optional<TableRef> child(int id, const char* what) const;
  TableVector tables(int id, const char* what) const;
  // Scalar vector, empty when absent. Points into the file.
  template <typename T>
  std::span<const T> vector(int id) const {
    const uint8_t* p = pointer(id);
    if (!p) return {};
    auto* v = reinterpret_cast<const flatbuffers::Vector<T>*>(p);
    if (!verifier().VerifyVector(v)) fail("vector");
    return {v->data(), v->size()};
  }
  std::string string(int id) const;

 private:
  const flatbuffers::Table* table() const {
    return reinterpret_cast<const flatbuffers::Table*>(data_);
  }
  flatbuffers::Verifier& verifier() const;
  // Target of an offset field, nullptr when absent.
  const uint8_t* pointer(int id) const;
  [[noreturn]] void fail(const char* part) const;

  const uint8_t* data_;
  FlatbufferFile* file_;
  const char* what_;
};

// Verifier plus the root table of a buffer.
class FlatbufferFile {
 public:
  explicit FlatbufferFile(std::span<const uint8_t> bytes);
  TableRef root(const char* what);
  flatbuffers::Verifier& verifier() { return verifier_; }
  const uint8_t* base() const { return bytes_.data(); }

 private:
  std::span<const uint8_t> bytes_;
  flatbuffers::Verifier verifier_;
};

}  // namespace resq::tflite
