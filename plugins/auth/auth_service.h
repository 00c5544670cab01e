// AuthService: etcd's etcdserverpb.Auth service (all 16 methods). Every
// method but Authenticate proposes its request through Raft in etcd's own
// InternalRaftRequest field (auth_user_add, ...), exactly as etcd writes it;
// the kernel checks the caller before proposing and again at apply time
// (AccessControl), and the apply handlers (auth_commands.cpp) answer.
// Authenticate checks the password with bcrypt on the plugin's worker
// thread, then proposes etcd's InternalAuthenticateRequest (name and a
// simple-token prefix, never the password), whose apply assigns the token
// on every member.
//
// Threads: handlers run on frontend threads and return at once; answers come
// from the apply loop's reply path. host_ is set by start() and cleared by
// stop() (atomic); kvRevision_ follows the applied events (atomic).
#pragma once

#include <atomic>
#include <memory>

#include "auth_store.h"
#include "cairn/host.h"
#include "cairn/service.h"
#include "token_provider.h"
#include "worker.h"

namespace cairn::auth {

class AuthService {
 public:
  AuthService(AuthStore& store, TokenProvider& tokens) : store_(store), tokens_(tokens) {}

  ServiceDef definition();
  void start(Host& host);
  void stop();

 private:
  template <typename Request, typename Response>
  void forward(const RequestContext& ctx, const Request& req, Done<Response> done);
  void authenticate(const RequestContext& ctx, const etcdserverpb::AuthenticateRequest& req,
                    Done<etcdserverpb::AuthenticateResponse> done, int attemptsLeft);
  etcdserverpb::ResponseHeader header(Host& host) const;

  AuthStore& store_;
  TokenProvider& tokens_;
  Worker worker_;
  std::atomic<Host*> host_{nullptr};
  std::atomic<int64_t> kvRevision_{0};
  std::unique_ptr<Subscription> applied_;  // start()/stop(), kernel main thread
};

}  // namespace cairn::auth
