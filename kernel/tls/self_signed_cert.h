// makeSelfSignedCertificate: the certificate etcd's --auto-tls and
// --peer-auto-tls make at start (transport.SelfCert): an ECDSA P-256 key and
// a self-signed certificate valid for a year, the listen URLs' hosts as
// subject alternative names, kept as cert.pem and key.pem in `dir`
// (<data-dir>/fixtures/client or .../peer) and reused by later starts.
#pragma once

#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn::tls {

struct SelfSignedFiles {
  std::string certFile;
  std::string keyFile;
};

// Makes the files unless both are already in `dir`; `hosts` are host names
// or IP addresses (empty: "localhost").
Status makeSelfSignedCertificate(const std::string& dir, const std::vector<std::string>& hosts,
                                 SelfSignedFiles* out);

}  // namespace cairn::tls
