#include "test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace cairn::testing {
namespace {

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* newCertificate(EVP_PKEY* key, const std::string& commonName) {
  X509* cert = X509_new();
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_set_version(cert, 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24L * 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  X509_set_pubkey(cert, key);
  return cert;
}

void writeFiles(const std::string& base, X509* cert, EVP_PKEY* key, TestCertificate* out) {
  out->certFile = base + ".crt";
  out->keyFile = base + ".key";
  std::FILE* f = std::fopen(out->certFile.c_str(), "wb");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(out->keyFile.c_str(), "wb");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

}  // namespace

TestPki::TestPki(const std::string& caName) {
  char dirTemplate[] = "/tmp/cairn-pki-XXXXXX";
  if (mkdtemp(dirTemplate) == nullptr) throw std::runtime_error("mkdtemp");
  dir_ = dirTemplate;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = newCertificate(key, caName);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  addExtension(cert, cert, NID_subject_key_identifier, "hash");
  X509_sign(cert, key, EVP_sha256());
  TestCertificate files;
  writeFiles(dir_ + "/ca", cert, key, &files);
  caFile_ = files.certFile;
  caKey_ = key;
  caCert_ = cert;
}

TestPki::~TestPki() {
  X509_free(static_cast<X509*>(caCert_));
  EVP_PKEY_free(static_cast<EVP_PKEY*>(caKey_));
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

TestCertificate TestPki::issue(const std::string& fileName, const std::string& commonName,
                               const std::vector<std::string>& ips,
                               const std::vector<std::string>& dnsNames) {
  auto* caCert = static_cast<X509*>(caCert_);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = newCertificate(key, commonName);
  X509_set_issuer_name(cert, X509_get_subject_name(caCert));
  std::string san;
  for (const auto& ip : ips) san += (san.empty() ? "IP:" : ",IP:") + ip;
  for (const auto& dns : dnsNames) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  if (!san.empty()) addExtension(cert, caCert, NID_subject_alt_name, san);
  addExtension(cert, caCert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  addExtension(cert, caCert, NID_ext_key_usage, "serverAuth,clientAuth");
  addExtension(cert, caCert, NID_authority_key_identifier, "keyid");
  X509_sign(cert, static_cast<EVP_PKEY*>(caKey_), EVP_sha256());
  TestCertificate files;
  writeFiles(dir_ + "/" + fileName, cert, key, &files);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

std::string TestPki::revoke(const std::string& fileName,
                            const std::vector<std::string>& certFiles, bool der) {
  auto* caCert = static_cast<X509*>(caCert_);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(caCert));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  X509_CRL_set1_lastUpdate(crl, now);
  for (const auto& path : certFiles) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    X509* cert = f != nullptr ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
    if (f != nullptr) std::fclose(f);
    if (cert == nullptr) throw std::runtime_error("cannot read " + path);
    X509_REVOKED* revoked = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(revoked, X509_get_serialNumber(cert));
    X509_REVOKED_set_revocationDate(revoked, now);
    X509_CRL_add0_revoked(crl, revoked);
    X509_free(cert);
  }
  ASN1_TIME_free(now);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, static_cast<EVP_PKEY*>(caKey_), EVP_sha256());
  const std::string path = dir_ + "/" + fileName;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (der) {
    i2d_X509_CRL_fp(f, crl);
  } else {
    PEM_write_X509_CRL(f, crl);
  }
  std::fclose(f);
  X509_CRL_free(crl);
  return path;
}

}  // namespace cairn::testing
