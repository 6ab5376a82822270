#include "engine/import/tflite_flatbuffer.h"

namespace resq::tflite {
namespace {

std::span<const uint8_t> checked_size(std::span<const uint8_t> bytes) {
  if (bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    throw FlatbufferError("file is larger than a flatbuffer can be (2 GB)");
  if (bytes.size() < 8) throw FlatbufferError("file is too short for a flatbuffer");
  return bytes;
}

std::string outside(const std::string& what) {
  return what + " lies outside the file (truncated or corrupt file)";
}

}  // namespace

TableRef::TableRef(const uint8_t* table, FlatbufferFile* file, const char* what)
    : data_(table), file_(file), what_(what) {
  if (!verifier().VerifyTableStart(data_)) fail("table header");
  // Tables are verified one at a time as they are reached, so no nesting depth accumulates.
  verifier().EndTable();
}

flatbuffers::Verifier& TableRef::verifier() const { return file_->verifier(); }

void TableRef::fail(const char* part) const {
  throw FlatbufferError(outside(std::string(what_) + " " + part));
}

const uint8_t* TableRef::pointer(int id) const {
  if (!table()->VerifyOffset(verifier(), vtable_offset(id))) fail("offset");
  return table()->GetPointer<const uint8_t*>(vtable_offset(id));
}

std::optional<TableRef> TableRef::child(int id, const char* what) const {
  const uint8_t* p = pointer(id);
  if (!p) return std::nullopt;
  return TableRef(p, file_, what);
}

TableVector TableRef::tables(int id, const char* what) const {
  const uint8_t* p = pointer(id);
  if (!p) return {};
  auto* v = reinterpret_cast<const flatbuffers::Vector<flatbuffers::uoffset_t>*>(p);
  if (!verifier().VerifyVector(v)) fail("table vector");
  return TableVector(v, file_, what);
}

std::string TableRef::string(int id) const {
  const uint8_t* p = pointer(id);
  if (!p) return {};
  auto* s = reinterpret_cast<const flatbuffers::String*>(p);
  if (!verifier().VerifyString(s)) fail("string");
  return s->str();
}

TableRef TableVector::at(size_t i) const {
  // Element i is an offset relative to its own position inside the (verified) vector.
  const uint8_t* elem = vec_->Data() + i * sizeof(flatbuffers::uoffset_t);
  const auto pos = static_cast<size_t>(elem - file_->base());
  const flatbuffers::uoffset_t off = file_->verifier().VerifyOffset(pos);
  if (!off) throw FlatbufferError(outside(std::string(what_) + " " + std::to_string(i)));
  return TableRef(elem + off, file_, what_);
}

FlatbufferFile::FlatbufferFile(std::span<const uint8_t> bytes)
    : bytes_(checked_size(bytes)), verifier_(bytes_.data(), bytes_.size()) {}

TableRef FlatbufferFile::root(const char* what) {
  const flatbuffers::uoffset_t off = verifier_.VerifyOffset(0);
  if (!off) throw FlatbufferError(outside("root table offset"));
  return TableRef(bytes_.data() + off, this, what);
}

}  // namespace resq::tflite
