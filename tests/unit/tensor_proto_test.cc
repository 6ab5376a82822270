#include "engine/import/tensor_proto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/error.h"

namespace resq {
namespace {

using onnx::TensorProto;

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

TensorProto proto(TensorProto::DataType type, std::vector<int64_t> dims) {
  TensorProto p;
  p.set_data_type(type);
  for (int64_t d : dims) p.add_dims(d);
  return p;
}

// The error message of tensor_from_proto, or "" when it did not throw.
std::string error_of(const TensorProto& p) {
  try {
    tensor_from_proto(p, "m.onnx: initializer 'w'");
  } catch (const ModelError& e) {
    return e.what();
  }
  return "";
}

TEST(TensorProto, FloatTypedField) {
  TensorProto p = proto(TensorProto::FLOAT, {2, 2});
  for (float v : {1.f, 2.f, 3.f, 4.5f}) p.add_float_data(v);
  Tensor t = tensor_from_proto(p, "x");
  EXPECT_EQ(t.dtype(), DType::kFloat32);
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.f32()[3], 4.5f);
}

TEST(TensorProto, FloatRawData) {
  TensorProto p = proto(TensorProto::FLOAT, {3});
  p.set_raw_data(raw_bytes(std::vector<float>{-1.f, 0.5f, 7.f}));
  Tensor t = tensor_from_proto(p, "x");
  EXPECT_EQ(t.f32()[0], -1.f);
  EXPECT_EQ(t.f32()[2], 7.f);
}

TEST(TensorProto, ScalarHasRankZero) {
  TensorProto p = proto(TensorProto::FLOAT, {});
  p.add_float_data(3.f);
  Tensor t = tensor_from_proto(p, "x");
  EXPECT_EQ(t.rank(), 0);
  EXPECT_EQ(t.f32()[0], 3.f);
}

TEST(TensorProto, Int64RawAndTyped) {
  TensorProto raw = proto(TensorProto::INT64, {2});
  raw.set_raw_data(raw_bytes(std::vector<int64_t>{-5, int64_t{1} << 40}));
  Tensor a = tensor_from_proto(raw, "x");
  EXPECT_EQ(a.dtype(), DType::kInt64);
  EXPECT_EQ(a.i64()[1], int64_t{1} << 40);

  TensorProto typed = proto(TensorProto::INT64, {1});
  typed.add_int64_data(-9);
  EXPECT_EQ(tensor_from_proto(typed, "x").i64()[0], -9);
}

TEST(TensorProto, Float16ToFloat32) {
  // 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal), +inf.
  const std::vector<uint16_t> halves = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00};
  TensorProto raw = proto(TensorProto::FLOAT16, {5});
  raw.set_raw_data(raw_bytes(halves));
  Tensor t = tensor_from_proto(raw, "x");
  EXPECT_EQ(t.dtype(), DType::kFloat32);
  EXPECT_EQ(t.f32()[0], 1.f);
  EXPECT_EQ(t.f32()[1], -2.f);
  EXPECT_EQ(t.f32()[2], 65504.f);
  EXPECT_EQ(t.f32()[3], std::ldexp(1.f, -24));
  EXPECT_TRUE(std::isinf(t.f32()[4]));

  TensorProto typed = proto(TensorProto::FLOAT16, {1});
  typed.add_int32_data(0x3800);  // 0.5
  EXPECT_EQ(tensor_from_proto(typed, "x").f32()[0], 0.5f);
}

TEST(TensorProto, DoubleToFloat32) {
  TensorProto p = proto(TensorProto::DOUBLE, {2});
  p.add_double_data(0.25);
  p.add_double_data(-3.0);
  Tensor t = tensor_from_proto(p, "x");
  EXPECT_EQ(t.dtype(), DType::kFloat32);
  EXPECT_EQ(t.f32()[1], -3.f);
}

TEST(TensorProto, SmallIntegersToInt64) {
  TensorProto i32 = proto(TensorProto::INT32, {2});
  i32.set_raw_data(raw_bytes(std::vector<int32_t>{-7, 100000}));
  Tensor a = tensor_from_proto(i32, "x");
  EXPECT_EQ(a.dtype(), DType::kInt64);
  EXPECT_EQ(a.i64()[0], -7);
  EXPECT_EQ(a.i64()[1], 100000);

  TensorProto i8 = proto(TensorProto::INT8, {2});
  i8.set_raw_data(raw_bytes(std::vector<int8_t>{-128, 5}));
  EXPECT_EQ(tensor_from_proto(i8, "x").i64()[0], -128);

  TensorProto u8 = proto(TensorProto::UINT8, {2});
  u8.add_int32_data(255);
  u8.add_int32_data(1);
  EXPECT_EQ(tensor_from_proto(u8, "x").i64()[0], 255);
}

TEST(TensorProto, RawSizeMismatch_n) {
  TensorProto p = proto(TensorProto::FLOAT, {2, 3});
  p.set_raw_data(raw_bytes(std::vector<float>{1, 2, 3}));
  const std::string err = error_of(p);
  EXPECT_NE(err.find("m.onnx: initializer 'w'"), std::string::npos) << err;
  EXPECT_NE(err.find("raw_data"), std::string::npos) << err;
}

TEST(TensorProto, RawSizeNotMultipleOfElement_n) {
  TensorProto p = proto(TensorProto::FLOAT, {1});
  p.set_raw_data(std::string(5, '\0'));
  EXPECT_NE(error_of(p).find("raw_data"), std::string::npos);
}

TEST(TensorProto, TypedSizeMismatch_n) {
  TensorProto p = proto(TensorProto::INT64, {4});
  p.add_int64_data(1);
  const std::string err = error_of(p);
  EXPECT_NE(err.find("int64_data has 1 elements"), std::string::npos) << err;
}

TEST(TensorProto, MissingData_n) {
  EXPECT_NE(error_of(proto(TensorProto::FLOAT, {1000000000, 1000})), "");
}

TEST(TensorProto, NegativeDim_n) {
  TensorProto p = proto(TensorProto::FLOAT, {-1, 2});
  EXPECT_NE(error_of(p).find("negative dimension"), std::string::npos);
}

TEST(TensorProto, DimsOverflow_n) {
  TensorProto p = proto(TensorProto::FLOAT, {int64_t{1} << 40, int64_t{1} << 40});
  EXPECT_NE(error_of(p).find("overflow"), std::string::npos);
}

TEST(TensorProto, RawAndTypedBoth_n) {
  TensorProto p = proto(TensorProto::FLOAT, {1});
  p.add_float_data(1);
  p.set_raw_data(raw_bytes(std::vector<float>{1}));
  EXPECT_NE(error_of(p).find("both raw_data and float_data"), std::string::npos);
}

TEST(TensorProto, ExternalData_n) {
  TensorProto p = proto(TensorProto::FLOAT, {1});
  p.set_data_location(TensorProto::EXTERNAL);
  auto* entry = p.add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  EXPECT_NE(error_of(p).find("external data is not supported"), std::string::npos);
}

TEST(TensorProto, UnsupportedType_n) {
  TensorProto p = proto(TensorProto::BOOL, {1});
  p.add_int32_data(1);
  EXPECT_NE(error_of(p).find("BOOL"), std::string::npos);
}

TEST(TensorProto, ToProtoRoundTrip) {
  const std::vector<float> v = {1.5f, -2.f, 3.f, 0.f, 9.f, 1e-20f};
  Tensor t = Tensor::from_floats({2, 3}, v);
  TensorProto p = tensor_to_proto(t, "out");
  EXPECT_EQ(p.name(), "out");
  EXPECT_EQ(p.data_type(), TensorProto::FLOAT);
  Tensor back = tensor_from_proto(p, "x");
  EXPECT_EQ(back.shape(), t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(back.f32()[i], t.f32()[i]);

  const std::vector<int64_t> iv = {3, -4};
  Tensor it = tensor_from_proto(tensor_to_proto(Tensor::from_ints({2}, iv), "i"), "x");
  EXPECT_EQ(it.dtype(), DType::kInt64);
  EXPECT_EQ(it.i64()[1], -4);
}

TEST(TensorProto, FileRoundTrip) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "resq_tensor_proto_test.pb").string();
  const std::vector<float> v = {1, 2, 3, 4};
  write_tensor_file(path, Tensor::from_floats({1, 4}, v), "input_0");
  std::string name;
  Tensor t = read_tensor_file(path, &name);
  EXPECT_EQ(name, "input_0");
  EXPECT_EQ(t.shape(), (Shape{1, 4}));
  EXPECT_EQ(t.f32()[3], 4.f);
  std::filesystem::remove(path);
}

TEST(TensorProto, ReadsOnnxTestData) {
  std::string name;
  Tensor t = read_tensor_file(
      std::string(RESQ_TEST_DATA_DIR) + "/onnx-node/test_relu/test_data_set_0/input_0.pb", &name);
  EXPECT_EQ(name, "x");
  EXPECT_EQ(t.shape(), (Shape{3, 4, 5}));
}

TEST(TensorProto, ReadMissingFile_n) {
  EXPECT_THROW(read_tensor_file("/nonexistent/resq/tensor.pb"), ModelError);
}

TEST(TensorProto, ReadGarbageFile_n) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "resq_tensor_garbage.pb").string();
  std::ofstream(path, std::ios::binary) << std::string("\xff\xff\xff\xff\xff", 5);
  try {
    read_tensor_file(path);
    ADD_FAILURE() << "no error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": not a valid TensorProto"), std::string::npos);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace resq
