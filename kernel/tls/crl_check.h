// The certificate revocation check of etcd's --peer-crl-file and
// --client-crl-file (pkg/transport/listener_tls.go, checkCRL): after a TLS
// listener's handshake, every certificate the dialer presented is looked
// up by serial number in the CRL file, which is read again for each
// connection (so a CRL replaced on disk takes effect on the next one). As
// etcd, the CRL's signature and dates are not checked, and only serial
// numbers are compared.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "cairn/status.h"

namespace cairn::tls {

// Ok when none of the certificates the other side of `ssl` presented is
// revoked, else PermissionDenied with etcd's error: "transport: certificate
// serial <hex> revoked", or why the file cannot be read or parsed
// ("open <file>: ...").
Status checkRevoked(const std::string& crlFile, SSL* ssl);

}  // namespace cairn::tls
