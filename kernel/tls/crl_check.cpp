#include "crl_check.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

namespace cairn::tls {
namespace {

// Go's big.Int bytes in %x: two lower-case digits a byte, none for zero.
std::string serialHex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (bn == nullptr) return {};
  std::string out;
  if (!BN_is_zero(bn)) {
    BN_set_negative(bn, 0);
    char* hex = BN_bn2hex(bn);
    if (hex != nullptr) {
      out = hex;
      OPENSSL_free(hex);
    }
    if (out.size() % 2 == 1) out.insert(out.begin(), '0');
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  BN_free(bn);
  return out;
}

// The CRL in `bytes`: PEM when it starts as one (Go's x509.ParseCRL), else DER.
X509_CRL* parseCrl(const std::string& bytes) {
  static constexpr std::string_view kPemPrefix = "-----BEGIN X509 CRL";
  if (bytes.compare(0, kPemPrefix.size(), kPemPrefix) == 0) {
    BIO* bio = BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return crl;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  return d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()));
}

}  // namespace

Status checkRevoked(const std::string& crlFile, SSL* ssl) {
  std::ifstream in(crlFile, std::ios::binary);
  if (!in) {
    // Go's os.ReadFile wording.
    std::string reason = std::strerror(errno);
    if (!reason.empty()) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    return Status(StatusCode::PermissionDenied, "open " + crlFile + ": " + reason);
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(parseCrl(bytes), &X509_CRL_free);
  if (!crl) return Status(StatusCode::PermissionDenied, "x509: malformed crl");

  // What the other side presented: the listener's OpenSSL keeps the leaf
  // apart from the rest of the chain, a dialer's chain starts with it.
  std::vector<X509*> presented;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (SSL_is_server(ssl) && leaf != nullptr) presented.push_back(leaf);
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl); chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) presented.push_back(sk_X509_value(chain, i));
  }
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (X509* cert : presented) {
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      if (ASN1_INTEGER_cmp(
              serial, X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))) == 0) {
        return Status(StatusCode::PermissionDenied,
                      "transport: certificate serial " + serialHex(serial) + " revoked");
      }
    }
  }
  return Status::ok();
}

}  // namespace cairn::tls
