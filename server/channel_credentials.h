// Client credentials of the resq tools (resq-health-probe, resq-loadgen): plaintext, or TLS
// trusting the PEM root certificate in `tls_ca`.
#pragma once

#include <grpcpp/security/credentials.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

namespace resq::server {

// Throws std::runtime_error naming --tls-ca and the file when it cannot be read.
inline std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const std::string& tls_ca) {
  if (tls_ca.empty()) return grpc::InsecureChannelCredentials();
  std::ifstream in(tls_ca);
  std::ostringstream pem;
  if (!in || !(pem << in.rdbuf()))
    throw std::runtime_error("--tls-ca " + tls_ca + ": cannot read the file");
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::SslCredentials(ssl);
}

}  // namespace resq::server
