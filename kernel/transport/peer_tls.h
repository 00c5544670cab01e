// PeerTls: the TLS side of https:// peer URLs, from etcd's flags
// --peer-cert-file, --peer-key-file, --peer-trusted-ca-file,
// --peer-client-cert-auth, --peer-auto-tls (a self-signed certificate made
// at start in <data-dir>/fixtures/peer), --peer-cert-allowed-cn and
// --peer-cert-allowed-hostname, with etcd 3.4's semantics
// (pkg/transport/listener.go, listener_tls.go):
//  - the listener presents the certificate and requires and verifies one
//    from the dialer when a trusted CA file is given or client-cert-auth is
//    on (tls.RequireAndVerifyClientCert); it then checks the dialer's
//    certificate SANs against its address (checkSAN) unless
//    --experimental-peer-skip-client-san-verification;
//  - the dialer presents the certificate when asked, verifies the
//    listener's certificate against the CA file (or the system's roots) and
//    the peer URL's host, except with --peer-auto-tls, which skips that
//    verification (etcd's InsecureSkipVerify for self-signed certificates);
//  - --peer-cert-allowed-cn / -hostname refuse a verified certificate of
//    the other side that does not carry that common name / host name, on
//    both sides (etcd's VerifyPeerCertificate);
//  - --peer-crl-file: the listener refuses a dialer that presented a
//    certificate whose serial the CRL lists, the file read again for each
//    connection (etcd's checkCRL, tls/crl_check.h); a dialer does not check
//    the listener's certificate against it, as etcd;
//  - the certificate and key files are read again on the next handshake
//    after they change (tls/key_pair_reloader.h; etcd reads them for every
//    handshake), both as listener and as dialer: certificates rotate
//    without a restart.
//
// Immutable after create(); shared by the transport and the cluster query.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cairn/logger.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "peer_socket.h"
#include "peer_tls_options.h"
#include "tls/key_pair_reloader.h"

namespace cairn::transport {

class PeerTls {
 public:
  // etcd's PeerSelfCert and the logs of configurePeerListeners; the
  // contexts as TLSInfo.ServerConfig and ClientConfig make them. An error
  // is etcd's for the same files and flags.
  static Status create(PeerTlsOptions options, Logger& logger, std::shared_ptr<PeerTls>* out);

  // A certificate to listen with (https:// listen URLs need one).
  bool serves() const { return server_ != nullptr; }
  boost::asio::ssl::context& serverContext() const { return *server_; }
  // "cannot listen on TLS for <address>: ..." when https:// cannot be served.
  static std::string cannotListen(const std::string& address);

  // A TLS socket for dialing `host` (the peer URL's host): SNI and, unless
  // auto TLS, verification of the listener's certificate and name.
  std::unique_ptr<PeerSocket> dialSocket(PeerSocket::Tcp socket, const std::string& host) const;

  // A failed handshake's error, with OpenSSL's reason when the other
  // side's certificate failed verification.
  static std::string handshakeError(PeerSocket& socket, const boost::system::error_code& ec);

  // After a completed handshake, the checks Go's handshake makes through
  // VerifyPeerCertificate and the listener's checkSAN: ok when the other
  // side is accepted, else PermissionDenied with etcd's error. `listener`:
  // this side accepted the connection; `remoteAddress` its dialer's IP
  // address.
  Status checkOtherSide(PeerSocket::Tls& stream, bool listener,
                        const std::string& remoteAddress) const;

 private:
  explicit PeerTls(PeerTlsOptions options) : options_(std::move(options)) {}

  const PeerTlsOptions options_;
  bool requireClientCert_ = false;  // listener: tls.RequireAndVerifyClientCert
  bool skipVerify_ = false;         // dialer: InsecureSkipVerify (auto TLS)
  // The certificate and key, reread when their files change; declared
  // before the contexts it is attached to, so it outlives them.
  std::unique_ptr<tls::KeyPairReloader> keyPair_;
  std::shared_ptr<boost::asio::ssl::context> server_;  // null without a certificate
  std::shared_ptr<boost::asio::ssl::context> client_;
};

}  // namespace cairn::transport
