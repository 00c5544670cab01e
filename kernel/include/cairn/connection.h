// Connections: how one plugin's client listeners reach another plugin's
// protocol server without either knowing the other (etcd serves gRPC and
// HTTP/1.1 on the same client URL).
//
// A listener owner (api-http) claims the client URLs with
// Registrar::claimClientListeners() and, for each accepted connection, reads
// its first bytes without consuming them and decides its protocol. A protocol
// server (api-grpc) declares with Registrar::connectionHandler() that it
// serves one protocol, named as in ALPN ("h2"), on sockets it is handed. A
// protocol server that finds the listeners claimed (ConnectionRegistry::
// listenersClaimed() in start()) binds nothing itself; otherwise it binds the
// client URLs as before.
#pragma once

#include <functional>
#include <string_view>

namespace cairn {

// Takes ownership of `fd`, an accepted, connected, blocking-mode-agnostic
// stream socket whose bytes have not been read (the owner only peeked), and
// serves it until the peer or the server closes it; the handler closes `fd`
// itself if it cannot serve it (e.g. its server is not running). Runs on the
// listener owner's threads, any of them, possibly before the handler's
// plugin has started or after it stopped: it must not block.
using ConnectionHandler = std::function<void(int fd)>;

// Read by plugins after the declare phase, from any thread.
class ConnectionRegistry {
 public:
  virtual ~ConnectionRegistry() = default;
  // The handler declared for `protocol` ("h2"), or nullptr if none.
  virtual const ConnectionHandler* connectionHandler(std::string_view protocol) const = 0;
  // True when a plugin claimed the client listeners.
  virtual bool listenersClaimed() const = 0;
};

}  // namespace cairn
