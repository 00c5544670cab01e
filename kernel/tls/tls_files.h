// Loading a TLS identity and trust into an OpenSSL context (Boost.Asio's
// ssl::context) with the errors etcd prints for the same files: Go's
// os.Open wording for a missing file, crypto/tls's for a file without PEM
// data or a key that does not match.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "cairn/status.h"

namespace cairn::tls {

// A context for `method` that speaks TLS 1.2 and later only, as etcd's
// tls.Config{MinVersion: tls.VersionTLS12}.
std::shared_ptr<boost::asio::ssl::context> newContext(boost::asio::ssl::context::method method);

// The certificate chain and its private key (they must match).
Status useKeyPair(boost::asio::ssl::context& context, const std::string& certFile,
                  const std::string& keyFile);

// The CA bundle certificates of the other side are verified against.
Status useTrustedCa(boost::asio::ssl::context& context, const std::string& caFile);

}  // namespace cairn::tls
