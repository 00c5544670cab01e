// ClientTls: the TLS side of https:// (and unixs://) client URLs, from
// etcd's flags --cert-file, --key-file, --trusted-ca-file,
// --client-cert-auth and --auto-tls (a self-signed certificate made at
// start in <data-dir>/fixtures/client, as etcd makes it).
//
// OpenSSL through Boost.Asio's ssl::context: TLS 1.2 and later, the server's
// certificate chain and key (read again when their files change,
// tls/key_pair_reloader.h), client certificates verified against the CA
// bundle when --client-cert-auth is on, and ALPN choosing "http/1.1" when
// offered and "h2" otherwise (gRPC clients offer only h2, and gRPC's C core
// refuses a TLS peer that does not select it).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cairn/settings.h"
#include "cairn/status.h"

namespace cairn::apihttp {

struct ClientTlsOptions {
  std::string certFile;
  std::string keyFile;
  std::string trustedCaFile;
  bool clientCertAuth = false;
  std::string crlFile;  // --client-crl-file (ClientListener::refuseRevoked)
  bool autoTls = false;
  std::string dataDir;             // where --auto-tls keeps its certificate
  std::vector<std::string> hosts;  // the client URLs' hosts, for --auto-tls

  // etcd's TLSInfo.Empty(): no certificate or key given.
  bool empty() const { return certFile.empty() && keyFile.empty(); }
};

// The TLS flags as the Host's settings hold them.
Status readClientTlsOptions(const Settings& settings, ClientTlsOptions* out);

// Makes the self-signed certificate --auto-tls asks for (ECDSA P-256, one
// year, the hosts as subject alternative names) in `dir` unless one is
// there, and points certFile/keyFile at it.
Status makeSelfSignedCertificate(const std::string& dir, ClientTlsOptions* options);

// The server context for `options` (which must not be empty).
Status makeServerTlsContext(const ClientTlsOptions& options,
                            std::shared_ptr<boost::asio::ssl::context>* out);

}  // namespace cairn::apihttp
