#include "engine/import/tensor_proto.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <type_traits>
#include <vector>

#include "engine/error.h"

namespace resq {
namespace {

// raw_data is little-endian; the copy below relies on the host being so too.
static_assert(std::endian::native == std::endian::little,
              "raw_data decoding assumes little-endian");

using onnx::TensorProto;

float half_to_float(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  } else if (exponent == 31) {
    magnitude =
        mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  }
  return (h & 0x8000) ? -magnitude : magnitude;
}

// Element count of the dims, rejecting negative dims and overflow.
int64_t checked_numel(const TensorProto& p, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) throw ModelError(where + ": negative dimension " + std::to_string(d) + " in dims");
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw ModelError(where + ": dims overflow the element count");
    n *= d;
  }
  return n;
}

// Decodes `p` from raw_data (RawT elements) or its typed field into a tensor whose element type
// is what `convert` returns. Sizes are checked before anything is allocated.
template <typename RawT, typename Field, typename Convert>
Tensor decode(const TensorProto& p, const Field& field, const char* field_name, int64_t numel,
              const std::string& where, Convert convert) {
  using Out = decltype(convert(RawT{}));
  static_assert(std::is_same_v<Out, float> || std::is_same_v<Out, int64_t>);
  const Shape shape(p.dims().begin(), p.dims().end());
  const std::string& raw = p.raw_data();
  const bool use_raw = !raw.empty();
  if (use_raw && !field.empty())
    throw ModelError(where + ": both raw_data and " + field_name + " are set");
  if (use_raw &&
      (raw.size() % sizeof(RawT) != 0 || raw.size() / sizeof(RawT) != static_cast<uint64_t>(numel)))
    throw ModelError(where + ": raw_data has " + std::to_string(raw.size()) + " bytes, dims " +
                     shape_str(shape) + " need " + std::to_string(numel) + " elements of " +
                     std::to_string(sizeof(RawT)) + " bytes");
  if (!use_raw && field.size() != numel)
    throw ModelError(where + ": " + field_name + " has " + std::to_string(field.size()) +
                     " elements, dims " + shape_str(shape) + " need " + std::to_string(numel));

  Tensor t(shape, std::is_same_v<Out, float> ? DType::kFloat32 : DType::kInt64);
  Out* out;
  if constexpr (std::is_same_v<Out, float>) {
    out = t.f32();
  } else {
    out = t.i64();
  }
  for (int64_t i = 0; i < numel; ++i) {
    if (use_raw) {
      RawT v;
      std::memcpy(&v, raw.data() + static_cast<size_t>(i) * sizeof(RawT), sizeof(RawT));
      out[i] = convert(v);
    } else {
      out[i] = convert(field.Get(static_cast<int>(i)));
    }
  }
  return t;
}

template <typename T>
T identity(T v) {
  return v;
}

}  // namespace

Tensor tensor_from_proto(const TensorProto& p, const std::string& where) {
  if (p.data_location() == TensorProto::EXTERNAL || p.external_data_size() > 0)
    throw ModelError(where +
                     ": external data is not supported (store the tensor in the model file)");
  if (p.has_segment()) throw ModelError(where + ": segmented tensors are not supported");
  const int64_t numel = checked_numel(p, where);

  switch (p.data_type()) {
    case TensorProto::FLOAT:
      return decode<float>(p, p.float_data(), "float_data", numel, where, identity<float>);
    case TensorProto::INT64:
      return decode<int64_t>(p, p.int64_data(), "int64_data", numel, where, identity<int64_t>);
    case TensorProto::FLOAT16:
      // int32_data holds one half's bits per element.
      return decode<uint16_t>(p, p.int32_data(), "int32_data", numel, where,
                              [](auto bits) { return half_to_float(static_cast<uint16_t>(bits)); });
    case TensorProto::DOUBLE:
      return decode<double>(p, p.double_data(), "double_data", numel, where,
                            [](double v) { return static_cast<float>(v); });
    case TensorProto::INT32:
      return decode<int32_t>(p, p.int32_data(), "int32_data", numel, where,
                             [](int32_t v) { return static_cast<int64_t>(v); });
    case TensorProto::INT8:
      return decode<int8_t>(p, p.int32_data(), "int32_data", numel, where,
                            [](auto v) { return static_cast<int64_t>(static_cast<int8_t>(v)); });
    case TensorProto::UINT8:
      return decode<uint8_t>(p, p.int32_data(), "int32_data", numel, where,
                             [](auto v) { return static_cast<int64_t>(static_cast<uint8_t>(v)); });
    default: {
      const std::string& type_name = TensorProto::DataType_Name(p.data_type());
      throw ModelError(where + ": data_type " +
                       (type_name.empty() ? std::to_string(p.data_type()) : type_name) +
                       " is not supported (float32, int64, float16, double, int32, int8, uint8)");
    }
  }
}

TensorProto tensor_to_proto(const Tensor& t, const std::string& name) {
  TensorProto p;
  p.set_name(name);
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_data_type(t.dtype() == DType::kFloat32 ? TensorProto::FLOAT : TensorProto::INT64);
  const void* data = t.dtype() == DType::kFloat32 ? static_cast<const void*>(t.f32())
                                                  : static_cast<const void*>(t.i64());
  p.set_raw_data(data, t.bytes());
  return p;
}

Tensor read_tensor_file(const std::string& path, std::string* name) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ModelError(path + ": cannot open tensor file");
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  TensorProto p;
  if (!p.ParseFromString(bytes))
    throw ModelError(path + ": not a valid TensorProto file (protobuf parse failed)");
  if (name) *name = p.name();
  return tensor_from_proto(p, p.name().empty() ? path : path + ": tensor '" + p.name() + "'");
}

void write_tensor_file(const std::string& path, const Tensor& t, const std::string& name) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw ModelError(path + ": cannot create tensor file");
  if (!tensor_to_proto(t, name).SerializeToOstream(&f) || !f.flush())
    throw ModelError(path + ": writing the tensor failed");
}

}  // namespace resq
