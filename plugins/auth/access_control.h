// AccessControl: the Authorizer the kernel asks about every request (see
// cairn/authorizer.h), answering with etcd 3.4's rules:
//   Range, Watch create                 read permission on the key or range
//   Put, DeleteRange                    write permission (+ read for prev_kv)
//   Txn                                 every compare read, every op as above
//                                       (nested txns too)
//   Defragment, Snapshot, Hash, HashKV  the root role (etcd's "auth: ..." texts)
//   Compact, Alarm, MoveLeader,
//   member add/remove/update/promote,
//   the Auth admin requests             the root role
//   UserGet / RoleGet                   root, or the caller's own user / role
//   LeaseGrant, KeepAlive, Leases, TimeToLive, LeaseRevoke, Status,
//   MemberList, Authenticate            anyone (the kernel checks a lease's
//                                       attached keys as writes/reads itself)
//   any other request type              the root role (a plugin command we
//                                       know nothing about is not guessed at)
// Requests the kernel makes on its own account carry no user and auth
// revision 0 and pass.
//
// Thread-safe: reads the AuthStore and the token provider only.
#pragma once

#include "auth_store.h"
#include "cairn/authorizer.h"
#include "token_provider.h"

namespace cairn::auth {

class AccessControl final : public Authorizer {
 public:
  AccessControl(const AuthStore& store, TokenProvider& tokens) : store_(store), tokens_(tokens) {}

  Status authenticate(const RequestContext& ctx, AuthInfo* out) override;
  Status authorize(const AuthInfo& who, const std::string& method,
                   const google::protobuf::Message& request) override;

 private:
  Status authorizeTxn(const AuthInfo& who, const etcdserverpb::TxnRequest& txn) const;
  Status read(const AuthInfo& who, std::string_view key, std::string_view end) const {
    return store_.isOpPermitted(who.user, who.revision, key, end, false);
  }
  Status write(const AuthInfo& who, std::string_view key, std::string_view end) const {
    return store_.isOpPermitted(who.user, who.revision, key, end, true);
  }

  const AuthStore& store_;
  TokenProvider& tokens_;
};

}  // namespace cairn::auth
