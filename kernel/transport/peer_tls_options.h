// PeerTlsOptions: etcd's peer TLS flags as a member runs with them (see
// PeerTls). A header of its own, free of OpenSSL and Asio, for the
// server's options.
#pragma once

#include <string>
#include <vector>

#include "cairn/settings.h"

namespace cairn::transport {

struct PeerTlsOptions {
  std::string certFile;
  std::string keyFile;
  std::string trustedCaFile;
  bool clientCertAuth = false;
  std::string crlFile;  // --peer-crl-file: dialers' certificates revoked by it are refused
  bool autoTls = false;
  std::string allowedCn;
  std::string allowedHostname;
  bool skipClientSanVerify = false;
  std::string dataDir;          // --peer-auto-tls keeps its certificate under it
  std::vector<Url> listenUrls;  // their hosts name the auto TLS certificate

  // etcd's TLSInfo.Empty(): no certificate or key given.
  bool empty() const { return certFile.empty() && keyFile.empty(); }
};

}  // namespace cairn::transport
