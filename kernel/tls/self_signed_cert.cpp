#include "self_signed_cert.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

namespace cairn::tls {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

bool addExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool writePem(const std::string& path, mode_t mode, const std::function<int(std::FILE*)>& write) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  ::chmod(path.c_str(), mode);
  const bool ok = write(f) == 1;
  return std::fclose(f) == 0 && ok;
}

// "IP:127.0.0.1,DNS:localhost" for the hosts.
std::string subjectAltNames(const std::vector<std::string>& hosts) {
  std::string san;
  for (const std::string& host : hosts) {
    const std::string h = host.empty() ? "localhost" : host;
    const bool ip = h.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
                    h.find_first_of(".:") != std::string::npos;
    san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + h;
  }
  return san;
}

}  // namespace

Status makeSelfSignedCertificate(const std::string& dir, const std::vector<std::string>& hosts,
                                 SelfSignedFiles* out) {
  const std::string certPath = dir + "/cert.pem";
  const std::string keyPath = dir + "/key.pem";
  out->certFile = certPath;
  out->keyFile = keyPath;
  std::error_code ec;
  if (std::filesystem::exists(certPath, ec) && std::filesystem::exists(keyPath, ec)) {
    return Status::ok();  // made by an earlier start: kept, as etcd keeps it
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(StatusCode::Internal, "cannot create " + dir + ": " + ec.message());
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);

  std::unique_ptr<EVP_PKEY, KeyDeleter> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!key || !cert) return Status(StatusCode::Internal, "cannot generate a self-signed key");
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("etcd"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  const std::string san = subjectAltNames(hosts);
  if ((!san.empty() && !addExtension(cert.get(), NID_subject_alt_name, san)) ||
      !addExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !addExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Status(StatusCode::Internal, "cannot make a self-signed certificate");
  }
  if (!writePem(keyPath, 0600,
                [&](std::FILE* f) {
                  return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
                }) ||
      !writePem(certPath, 0644, [&](std::FILE* f) { return PEM_write_X509(f, cert.get()); })) {
    std::string reason = std::strerror(errno);
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
    return Status(StatusCode::InvalidArgument, "open " + certPath + ": " + reason);
  }
  return Status::ok();
}

}  // namespace cairn::tls
