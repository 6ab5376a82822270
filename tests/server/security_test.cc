// resq-server's bearer token on control calls and TLS, in process.
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "engine/stream/model_cache.h"
#include "server/server.h"
#include "tests/server/clip_jpegs.h"

namespace resq::server {
namespace {

const std::string kTlsDir = RESQ_SERVER_TLS_DIR;  // cert.pem / key.pem for 127.0.0.1

std::shared_ptr<const LoadedModel> model() {
  return acquire_model(std::string(RESQ_ASSET_DIR) + "/selfie_segmentation.tflite",
                       RESQ_SERVER_CALIBRATION);
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ServerOptions local() {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  return options;
}

grpc::Status list_streams(v1::ControlService::Stub& stub, const std::string& authorization) {
  grpc::ClientContext context;
  if (!authorization.empty()) context.AddMetadata("authorization", authorization);
  v1::ListStreamsResponse response;
  return stub.ListStreams(&context, {}, &response);
}

TEST(ControlTokenTest, ControlCallsNeedTheBearerToken) {
  ServerOptions options = local();
  options.control_token_file = write_file("token", "s3cret-token\n");
  ResQServer server(model(), StreamSettings{}, options);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                                     grpc::InsecureChannelCredentials());
  auto control = v1::ControlService::NewStub(channel);

  grpc::Status status = list_streams(*control, "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(status.error_message().find("authorization: Bearer"), std::string::npos)
      << status.error_message();
  status = list_streams(*control, "Bearer s3cret-toke");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  status = list_streams(*control, "Bearer s3cret-token");
  EXPECT_TRUE(status.ok()) << status.error_message();  // the file's newline is not the token

  // Streams themselves need no token.
  auto streams = v1::StreamService::NewStub(channel);
  grpc::ClientContext context;
  auto call = streams->Process(&context);
  v1::ProcessRequest open;
  open.mutable_open()->set_stream_id("camera");
  ASSERT_TRUE(call->Write(open));
  v1::ProcessRequest frame;
  frame.mutable_frame()->set_jpeg(clip_jpegs(1)[0]);
  ASSERT_TRUE(call->Write(frame));
  v1::ProcessResponse response;
  ASSERT_TRUE(call->Read(&response));
  EXPECT_TRUE(response.has_result()) << response.error().message();
  call->WritesDone();
  EXPECT_TRUE(call->Finish().ok());
}

TEST(ControlTokenTest, EmptyOrMissingTokenFileIsRefused_n) {
  ServerOptions options = local();
  options.control_token_file = write_file("empty-token", " \n");
  try {
    ResQServer server(model(), StreamSettings{}, options);
    FAIL() << "a server started with an empty token";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--control-token-file"), std::string::npos) << e.what();
  }
  options.control_token_file = "/nonexistent/token";
  EXPECT_THROW(ResQServer(model(), StreamSettings{}, options), std::runtime_error);
}

TEST(TlsTest, ServesTlsClientsOnly) {
  ServerOptions options = local();
  options.tls_cert_file = kTlsDir + "/cert.pem";
  options.tls_key_file = kTlsDir + "/key.pem";
  ResQServer server(model(), StreamSettings{}, options);
  const std::string address = "127.0.0.1:" + std::to_string(server.port());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(options.tls_cert_file);
  auto secure = v1::ControlService::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(ssl)));
  const grpc::Status status = list_streams(*secure, "");
  EXPECT_TRUE(status.ok()) << status.error_message();

  auto plain = v1::ControlService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::ListStreamsResponse response;
  EXPECT_EQ(plain->ListStreams(&context, {}, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(TlsTest, IncompleteOrUnreadableTlsFilesAreRefused_n) {
  ServerOptions options = local();
  options.tls_cert_file = kTlsDir + "/cert.pem";
  try {
    ResQServer server(model(), StreamSettings{}, options);
    FAIL() << "a server started with a certificate and no key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--tls-key"), std::string::npos) << e.what();
  }
  options.tls_key_file = "/nonexistent/key.pem";
  try {
    ResQServer server(model(), StreamSettings{}, options);
    FAIL() << "a server started with a missing key file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/key.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace resq::server
