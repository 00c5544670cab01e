#include "client_tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace cairn::apihttp {
namespace {

namespace ssl = boost::asio::ssl;

Status fileError(const std::string& path) {
  // Go's os.Open wording, as etcd reports a missing or unreadable file.
  std::string reason = std::strerror(errno);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
  return Status(StatusCode::InvalidArgument, "open " + path + ": " + reason);
}

Status readableFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fileError(path);
  std::fclose(f);
  return Status::ok();
}

// ALPN: "http/1.1" when the client offers it, else "h2". gRPC clients (Go,
// C core, Node) offer only h2 and get it; curl and HTTP libraries offer both
// and get HTTP/1.1, which the gateway serves (etcd answers gateway requests
// over HTTP/2 too, Cairn's HTTP/2 path is gRPC's). A client offering
// neither gets no protocol selected (plain HTTP/1.x, sniffed as usual).
int selectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
               const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  static const unsigned char kPreference[] = "\x08http/1.1\x02h2";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kPreference, sizeof kPreference - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

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

}  // namespace

Status readClientTlsOptions(const Settings& settings, ClientTlsOptions* out) {
  out->certFile = settings.raw("cert-file").value_or("");
  out->keyFile = settings.raw("key-file").value_or("");
  out->trustedCaFile = settings.raw("trusted-ca-file").value_or("");
  out->dataDir = settings.raw("data-dir").value_or("");
  if (Status s = settings.boolean("client-cert-auth", &out->clientCertAuth); !s) return s;
  if (Status s = settings.boolean("auto-tls", &out->autoTls); !s) return s;
  std::vector<Url> urls;
  if (Status s = settings.urls("listen-client-urls", &urls); !s) return s;
  for (const Url& u : urls) out->hosts.push_back(u.host);
  return Status::ok();
}

Status makeSelfSignedCertificate(const std::string& dir, ClientTlsOptions* options) {
  const std::string certPath = dir + "/cert.pem";
  const std::string keyPath = dir + "/key.pem";
  options->certFile = certPath;
  options->keyFile = keyPath;
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
  std::string san;
  for (const std::string& host : options->hosts) {
    const std::string h = host.empty() ? "localhost" : host;
    const bool ip = h.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos &&
                    h.find_first_of(".:") != std::string::npos;
    san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + h;
  }
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
    return fileError(certPath);
  }
  return Status::ok();
}

Status makeServerTlsContext(const ClientTlsOptions& options, std::shared_ptr<ssl::context>* out) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  boost::system::error_code ec;
  if (Status s = readableFile(options.certFile); !s) return s;
  if (Status s = readableFile(options.keyFile); !s) return s;
  if (ctx->use_certificate_chain_file(options.certFile, ec)) {
    return Status(StatusCode::InvalidArgument,
                  "tls: failed to find any PEM data in certificate input (" + options.certFile +
                      ": " + ec.message() + ")");
  }
  if (ctx->use_private_key_file(options.keyFile, ssl::context::pem, ec)) {
    return Status(StatusCode::InvalidArgument, "tls: failed to find any PEM data in key input (" +
                                                   options.keyFile + ": " + ec.message() + ")");
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Status(StatusCode::InvalidArgument, "tls: private key does not match public key");
  }
  if (!options.trustedCaFile.empty()) {
    if (Status s = readableFile(options.trustedCaFile); !s) return s;
    if (ctx->load_verify_file(options.trustedCaFile, ec)) {
      return Status(StatusCode::InvalidArgument,
                    "failed to load trusted CA " + options.trustedCaFile + ": " + ec.message());
    }
  }
  if (options.clientCertAuth) {
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), &selectAlpn, nullptr);
  *out = std::move(ctx);
  return Status::ok();
}

}  // namespace cairn::apihttp
