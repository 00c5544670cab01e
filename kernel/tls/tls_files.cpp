#include "tls_files.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cairn::tls {
namespace {

namespace ssl = boost::asio::ssl;

Status readableFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    // Go's os.Open wording, as etcd reports a missing or unreadable file.
    std::string reason = std::strerror(errno);
    if (!reason.empty()) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    return Status(StatusCode::InvalidArgument, "open " + path + ": " + reason);
  }
  std::fclose(f);
  return Status::ok();
}

}  // namespace

std::shared_ptr<ssl::context> newContext(ssl::context::method method) {
  auto ctx = std::make_shared<ssl::context>(method);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  return ctx;
}

Status useKeyPair(ssl::context& ctx, const std::string& certFile, const std::string& keyFile) {
  if (Status s = readableFile(certFile); !s) return s;
  if (Status s = readableFile(keyFile); !s) return s;
  boost::system::error_code ec;
  if (ctx.use_certificate_chain_file(certFile, ec)) {
    return Status(StatusCode::InvalidArgument,
                  "tls: failed to find any PEM data in certificate input (" + certFile + ": " +
                      ec.message() + ")");
  }
  // Read first, then used: OpenSSL refuses a key that does not match the
  // certificate when it is set, which Go reports in words of its own.
  std::FILE* f = std::fopen(keyFile.c_str(), "rb");
  EVP_PKEY* key = f != nullptr ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : nullptr;
  if (f != nullptr) std::fclose(f);
  if (key == nullptr) {
    return Status(StatusCode::InvalidArgument,
                  "tls: failed to find any PEM data in key input (" + keyFile + ")");
  }
  const bool matches = SSL_CTX_use_PrivateKey(ctx.native_handle(), key) == 1 &&
                       SSL_CTX_check_private_key(ctx.native_handle()) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    return Status(StatusCode::InvalidArgument, "tls: private key does not match public key");
  }
  return Status::ok();
}

Status useTrustedCa(ssl::context& ctx, const std::string& caFile) {
  if (Status s = readableFile(caFile); !s) return s;
  boost::system::error_code ec;
  if (ctx.load_verify_file(caFile, ec)) {
    return Status(StatusCode::InvalidArgument,
                  "failed to load trusted CA " + caFile + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace cairn::tls
