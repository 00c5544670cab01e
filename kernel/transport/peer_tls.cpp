#include "peer_tls.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>

#include "tls/crl_check.h"
#include "tls/self_signed_cert.h"
#include "tls/tls_files.h"

namespace cairn::transport {
namespace {

namespace ssl = boost::asio::ssl;
constexpr const char* kCaller = "embed/etcd.go";

bool isIpAddress(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

// etcd's TLSInfo.String().
std::string describe(const PeerTlsOptions& o) {
  return "cert = " + o.certFile + ", key = " + o.keyFile + ", trusted-ca = " + o.trustedCaFile +
         ", client-cert-auth = " + (o.clientCertAuth ? "true" : "false") +
         ", crl-file = " + o.crlFile;
}

std::string commonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (i < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

// Go's x509.Certificate.VerifyHostname: IP SANs for an address, DNS SANs
// (never the common name) for a name.
bool certificateNames(X509* cert, const std::string& host) {
  if (isIpAddress(host)) return X509_check_ip_asc(cert, host.c_str(), 0) == 1;
  return X509_check_host(cert, host.data(), host.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                         nullptr) == 1;
}

struct SubjectAltNames {
  std::vector<std::string> ips;
  std::vector<std::string> dnsNames;
};

SubjectAltNames subjectAltNames(X509* cert) {
  SubjectAltNames out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      out.dnsNames.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = name->d.iPAddress;
      const unsigned char* p = ASN1_STRING_get0_data(s);
      if (ASN1_STRING_length(s) == 4) {
        boost::asio::ip::address_v4::bytes_type b;
        std::copy(p, p + 4, b.begin());
        out.ips.push_back(boost::asio::ip::address_v4(b).to_string());
      } else if (ASN1_STRING_length(s) == 16) {
        boost::asio::ip::address_v6::bytes_type b;
        std::copy(p, p + 16, b.begin());
        out.ips.push_back(boost::asio::ip::address_v6(b).to_string());
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

// Whether a DNS name of the certificate resolves to `address` (the forward
// half of etcd's isHostInDNS; the reverse lookup is not made).
bool resolvesTo(const std::vector<std::string>& dnsNames, const std::string& address) {
  for (const std::string& name : dnsNames) {
    if (name.rfind("*.", 0) == 0) continue;  // wildcards only match reverse lookups
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) continue;
    bool match = false;
    for (addrinfo* a = found; a != nullptr && !match; a = a->ai_next) {
      char text[NI_MAXHOST];
      if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) ==
          0) {
        match = address == text;
      }
    }
    freeaddrinfo(found);
    if (match) return true;
  }
  return false;
}

std::string quotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? " \"" : "\"") + items[i] + "\"";
  return out + "]";
}

// The other side's certificate is not accepted: etcd's words.
Status refused(std::string message) {
  return Status(StatusCode::PermissionDenied, std::move(message));
}

// etcd's checkSAN of a dialer's certificate against its address.
Status checkSan(X509* cert, const std::string& address) {
  const SubjectAltNames sans = subjectAltNames(cert);
  if (sans.ips.empty() && sans.dnsNames.empty()) return Status::ok();
  if (!sans.ips.empty()) {
    if (X509_check_ip_asc(cert, address.c_str(), 0) == 1) return Status::ok();
    if (sans.dnsNames.empty()) {
      std::string valid;
      for (const auto& ip : sans.ips) valid += (valid.empty() ? "" : ", ") + ip;
      return refused("x509: certificate is valid for " + valid + ", not " + address);
    }
  }
  if (resolvesTo(sans.dnsNames, address)) return Status::ok();
  return refused("tls: \"" + address + "\" does not match any of DNSNames " +
                 quotedList(sans.dnsNames));
}

}  // namespace

std::string PeerTls::handshakeError(PeerSocket& socket, const boost::system::error_code& ec) {
  if (!socket.secure()) return ec.message();
  const long result = SSL_get_verify_result(socket.tls()->native_handle());
  if (result == X509_V_OK) return ec.message();
  return ec.message() + ": " + X509_verify_cert_error_string(result);
}

std::string PeerTls::cannotListen(const std::string& address) {
  return "cannot listen on TLS for " + address + ": KeyFile and CertFile are not presented";
}

Status PeerTls::create(PeerTlsOptions options, Logger& logger, std::shared_ptr<PeerTls>* out) {
  bool selfCert = false;
  if (options.autoTls) {
    if (!options.empty()) {
      logger.warn("embed/config.go", "ignoring peer auto TLS since certs given");
    } else {
      std::vector<std::string> hosts;
      for (const Url& u : options.listenUrls) hosts.push_back(u.host);
      tls::SelfSignedFiles files;
      if (Status s =
              tls::makeSelfSignedCertificate(options.dataDir + "/fixtures/peer", hosts, &files);
          !s) {
        logger.error("embed/etcd.go", "failed to get peer self-signed certs",
                     jsonField("error", s.message()));
        return s;
      }
      options.certFile = files.certFile;
      options.keyFile = files.keyFile;
      selfCert = true;
    }
  }
  if (!options.empty()) {
    logger.info(kCaller, "starting with peer TLS",
                jsonField("tls-info", describe(options)) + ",\"cipher-suites\":[]");
  }
  for (const Url& u : options.listenUrls) {
    if (u.scheme != "http") continue;
    if (!options.empty()) {
      logger.warn(kCaller,
                  "scheme is HTTP while key and cert files are present; ignoring key and "
                  "cert files",
                  jsonField("peer-url", u.raw));
    }
    if (options.clientCertAuth) {
      logger.warn(kCaller,
                  "scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert "
                  "auth for this URL",
                  jsonField("peer-url", u.raw));
    }
  }

  std::shared_ptr<PeerTls> peerTls(new PeerTls(options));
  if (!options.empty()) {
    peerTls->keyPair_ = std::make_unique<tls::KeyPairReloader>(options.certFile, options.keyFile);
  }
  peerTls->skipVerify_ = selfCert;
  peerTls->requireClientCert_ = !options.trustedCaFile.empty() || options.clientCertAuth;
  if (!options.empty()) {
    if (!options.allowedCn.empty() && !options.allowedHostname.empty()) {
      return Status(StatusCode::InvalidArgument,
                    "AllowedCN and AllowedHostname are mutually exclusive (cn=\"" +
                        options.allowedCn + "\", hostname=\"" + options.allowedHostname + "\")");
    }
    auto server = tls::newContext(ssl::context::tls_server);
    if (Status s = tls::useKeyPair(*server, options.certFile, options.keyFile); !s) return s;
    if (!options.trustedCaFile.empty()) {
      if (Status s = tls::useTrustedCa(*server, options.trustedCaFile); !s) return s;
    } else if (options.clientCertAuth) {
      server->set_default_verify_paths();  // Go verifies against the system's roots
    }
    if (peerTls->requireClientCert_) {
      server->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      // OpenSSL refuses to resume a session of a verified client without one.
      static const unsigned char kSessionContext[] = "cairn-peer";
      SSL_CTX_set_session_id_context(server->native_handle(), kSessionContext,
                                     sizeof kSessionContext - 1);
    }
    peerTls->keyPair_->attach(server->native_handle());
    peerTls->server_ = std::move(server);
  }
  auto client = tls::newContext(ssl::context::tls_client);
  if (!options.empty()) {
    if (Status s = tls::useKeyPair(*client, options.certFile, options.keyFile); !s) return s;
    peerTls->keyPair_->attach(client->native_handle());
  }
  if (!options.trustedCaFile.empty()) {
    if (Status s = tls::useTrustedCa(*client, options.trustedCaFile); !s) return s;
  } else {
    client->set_default_verify_paths();
  }
  peerTls->client_ = std::move(client);
  *out = std::move(peerTls);
  return Status::ok();
}

std::unique_ptr<PeerSocket> PeerTls::dialSocket(PeerSocket::Tcp socket,
                                                const std::string& host) const {
  auto out = std::make_unique<PeerSocket>(std::move(socket), *client_);
  SSL* ssl = out->tls()->native_handle();
  const bool ip = isIpAddress(host);
  if (!ip) SSL_set_tlsext_host_name(ssl, host.c_str());  // Go sends no SNI for an address
  if (skipVerify_) {
    out->tls()->set_verify_mode(ssl::verify_none);
  } else {
    out->tls()->set_verify_mode(ssl::verify_peer);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(
        param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
  }
  return out;
}

Status PeerTls::checkOtherSide(PeerSocket::Tls& stream, bool listener,
                               const std::string& remoteAddress) const {
  // Verified certificates only: a listener that asks for none, or a dialer
  // that skips verification, has no verified chain to check.
  const bool verified = listener ? requireClientCert_ : !skipVerify_;
  const bool restricted = !options_.allowedCn.empty() || !options_.allowedHostname.empty();
  if (!verified) {
    // Go calls VerifyPeerCertificate on a dialer even without a verified
    // chain, which then always fails.
    return !listener && restricted ? refused("client certificate authentication failed")
                                   : Status::ok();
  }
  X509* cert = SSL_get1_peer_certificate(stream.native_handle());
  if (cert == nullptr) {
    return listener ? refused("tls: client didn't provide a certificate") : Status::ok();
  }
  Status verdict = Status::ok();
  if (!options_.allowedCn.empty() && commonName(cert) != options_.allowedCn) {
    verdict = refused("client certificate authentication failed");
  } else if (!options_.allowedHostname.empty() &&
             !certificateNames(cert, options_.allowedHostname)) {
    verdict = refused("client certificate authentication failed");
  } else if (listener && !options_.skipClientSanVerify) {
    verdict = checkSan(cert, remoteAddress);
  }
  // etcd checks the CRL after the SANs, on the listener's side only.
  if (verdict && listener && !options_.crlFile.empty()) {
    verdict = tls::checkRevoked(options_.crlFile, stream.native_handle());
  }
  X509_free(cert);
  return verdict;
}

}  // namespace cairn::transport
