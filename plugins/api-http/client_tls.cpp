#include "client_tls.h"

#include <openssl/ssl.h>

#include "tls/key_pair_reloader.h"
#include "tls/self_signed_cert.h"
#include "tls/tls_files.h"

namespace cairn::apihttp {
namespace {

namespace ssl = boost::asio::ssl;

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

}  // namespace

Status readClientTlsOptions(const Settings& settings, ClientTlsOptions* out) {
  out->certFile = settings.raw("cert-file").value_or("");
  out->keyFile = settings.raw("key-file").value_or("");
  out->trustedCaFile = settings.raw("trusted-ca-file").value_or("");
  out->crlFile = settings.raw("client-crl-file").value_or("");
  out->dataDir = settings.raw("data-dir").value_or("");
  if (Status s = settings.boolean("client-cert-auth", &out->clientCertAuth); !s) return s;
  if (Status s = settings.boolean("auto-tls", &out->autoTls); !s) return s;
  std::vector<Url> urls;
  if (Status s = settings.urls("listen-client-urls", &urls); !s) return s;
  for (const Url& u : urls) out->hosts.push_back(u.host);
  return Status::ok();
}

Status makeSelfSignedCertificate(const std::string& dir, ClientTlsOptions* options) {
  tls::SelfSignedFiles files;
  Status s = tls::makeSelfSignedCertificate(dir, options->hosts, &files);
  options->certFile = files.certFile;
  options->keyFile = files.keyFile;
  return s;
}

Status makeServerTlsContext(const ClientTlsOptions& options, std::shared_ptr<ssl::context>* out) {
  // The key pair reread when its files change (as etcd rereads it for every
  // handshake), owned with the context: every holder of the context keeps it.
  struct Reloading {
    std::unique_ptr<tls::KeyPairReloader> keyPair;  // outlives the context below
    std::shared_ptr<ssl::context> context;
  };
  auto owner = std::make_shared<Reloading>();
  auto ctx = tls::newContext(ssl::context::tls_server);
  if (Status s = tls::useKeyPair(*ctx, options.certFile, options.keyFile); !s) return s;
  if (!options.trustedCaFile.empty()) {
    if (Status s = tls::useTrustedCa(*ctx, options.trustedCaFile); !s) return s;
  }
  if (options.clientCertAuth) {
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  SSL_CTX_set_alpn_select_cb(ctx->native_handle(), &selectAlpn, nullptr);
  owner->keyPair = std::make_unique<tls::KeyPairReloader>(options.certFile, options.keyFile);
  owner->keyPair->attach(ctx->native_handle());
  owner->context = std::move(ctx);
  *out = std::shared_ptr<ssl::context>(owner, owner->context.get());
  return Status::ok();
}

}  // namespace cairn::apihttp
