// RequestContext: who is calling, until when, and whether they still care.
//
// A frontend fills one per client call (gRPC metadata, HTTP headers) and
// hands it to every Host call it makes for that client; the kernel passes it
// to the Authorizer before proposing or serving, and the identity it
// resolves travels inside the replicated request to be checked again at
// apply time. Plugins that call the Host on a client's behalf pass the
// client's context on; work of their own uses RequestContext::internal().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace cairn {

// Cancellation shared between a frontend (which cancels when the client goes
// away) and whoever works on the call (which polls or is told). Thread-safe.
class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> cancelled_{false};
};

// The identity the Authorizer resolved for a caller: a user name (empty when
// auth is off or the caller is the kernel itself) and the auth store revision
// it was resolved at, which the apply-time check compares (etcd's AuthInfo).
struct AuthInfo {
  std::string user;
  uint64_t revision = 0;
};

struct RequestContext {
  // The `token` of gRPC metadata or the HTTP `Authorization` header, as sent.
  std::string token;
  // The verified TLS client certificate's common name, when the client sent
  // one (etcd uses it as the user name when no token is given).
  std::string tlsCommonName;
  // The client's deadline; time_point::max() when it set none.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Set when the client went away; never null in a context a frontend made.
  std::shared_ptr<CancelToken> cancel = std::make_shared<CancelToken>();
  // The client asked to be served only while the member knows a leader
  // (gRPC metadata hasleader=true, clientv3.WithRequireLeader): the call
  // gets "etcdserver: no leader" otherwise, as etcd's interceptors answer.
  bool requireLeader = false;
  // True for calls the kernel or a plugin makes on its own account (lease
  // expiry, hooks, recipes run by a service): they bypass authentication but
  // not the apply-time checks of the requests they write.
  bool trusted = false;

  bool cancelled() const { return cancel && cancel->cancelled(); }

  static RequestContext internal() {
    RequestContext ctx;
    ctx.trusted = true;
    return ctx;
  }
};

}  // namespace cairn
