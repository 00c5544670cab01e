// AuthStore: users, roles, permissions and the auth switch, as etcd's auth
// store keeps them (auth/store.go): in the buckets "auth" (authEnabled,
// authRevision), "authUsers" (name -> authpb.User) and "authRoles" (name ->
// authpb.Role), with an in-memory copy the permission checks read.
//
// Writes happen only in apply handlers (the kernel's apply loop, in log
// order, inside the entry's write batch); every change that etcd counts
// moves the auth revision by one (enabling does not; disabling does), so a
// request resolved at an older revision is refused at apply time.
//
// Threads: apply handlers and recover() on the apply loop; the checks and
// reads on any thread. mu_ guards users_, roles_ and perms_; enabled_ and
// revision_ are atomics written under mu_ and read without it (hot path).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "authpb/auth.pb.h"
#include "cairn/registrar.h"
#include "cairn/status.h"
#include "etcdserverpb/raft_internal.pb.h"
#include "etcdserverpb/rpc.pb.h"
#include "password_hasher.h"
#include "range_permissions.h"
#include "token_provider.h"

namespace cairn::auth {

inline constexpr std::string_view kAuthBucket = "auth";
inline constexpr std::string_view kUsersBucket = "authUsers";
inline constexpr std::string_view kRolesBucket = "authRoles";
inline constexpr std::string_view kRootUser = "root";
inline constexpr std::string_view kRootRole = "root";

class AuthStore {
 public:
  AuthStore(const PasswordHasher& hasher, TokenProvider& tokens)
      : hasher_(hasher), tokens_(tokens) {}

  // Loads the buckets (before any entry is applied).
  Status recover(storage::ReadTxn& read);

  // --- apply handlers (apply loop) ---
  Status enable(ApplyContext& ctx);
  Status disable(ApplyContext& ctx);
  // Assigns a token to `req.name()` (the password was checked before
  // proposing); AuthFailed if the user is gone or has no password.
  Status authenticate(ApplyContext& ctx, const etcdserverpb::InternalAuthenticateRequest& req,
                      std::string* token);
  Status userAdd(ApplyContext& ctx, const etcdserverpb::AuthUserAddRequest& req);
  Status userDelete(ApplyContext& ctx, const etcdserverpb::AuthUserDeleteRequest& req);
  Status userChangePassword(ApplyContext& ctx,
                            const etcdserverpb::AuthUserChangePasswordRequest& req);
  Status userGrantRole(ApplyContext& ctx, const etcdserverpb::AuthUserGrantRoleRequest& req);
  Status userRevokeRole(ApplyContext& ctx, const etcdserverpb::AuthUserRevokeRoleRequest& req);
  Status roleAdd(ApplyContext& ctx, const etcdserverpb::AuthRoleAddRequest& req);
  Status roleDelete(ApplyContext& ctx, const etcdserverpb::AuthRoleDeleteRequest& req);
  Status roleGrantPermission(ApplyContext& ctx,
                             const etcdserverpb::AuthRoleGrantPermissionRequest& req);
  Status roleRevokePermission(ApplyContext& ctx,
                              const etcdserverpb::AuthRoleRevokePermissionRequest& req);

  // --- reads (any thread) ---
  Status userGet(const std::string& name, etcdserverpb::AuthUserGetResponse* out) const;
  void userList(etcdserverpb::AuthUserListResponse* out) const;
  Status roleGet(const std::string& name, etcdserverpb::AuthRoleGetResponse* out) const;
  void roleList(etcdserverpb::AuthRoleListResponse* out) const;

  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  uint64_t revision() const { return revision_.load(std::memory_order_acquire); }

  // The auth revision the password was checked at; AuthNotEnabled,
  // AuthFailed (unknown user or wrong password, after the same bcrypt work)
  // or NoPasswordUser.
  Status checkPassword(const std::string& name, const std::string& password,
                       uint64_t* checkedAt) const;
  // etcd's isOpPermitted: OK when auth is off or for the kernel's own
  // requests (no user, revision 0); AuthOldRevision for an identity older
  // than the store; PermissionDenied unless the user is root or its roles
  // cover the key (range).
  Status isOpPermitted(const std::string& user, uint64_t revision, std::string_view key,
                       std::string_view rangeEnd, bool write) const;
  // etcd's IsAdminPermitted: UserEmpty without a user, UserNotFound,
  // PermissionDenied unless the user has the root role.
  Status isAdminPermitted(const std::string& user) const;
  bool hasRole(const std::string& user, const std::string& role) const;

 private:
  void commitRevision(ApplyContext& ctx);  // under mu_ (unique)
  void putUser(ApplyContext& ctx, const authpb::User& user);
  void putRole(ApplyContext& ctx, const authpb::Role& role);
  void refreshPermissions();  // under mu_ (unique)

  const PasswordHasher& hasher_;
  TokenProvider& tokens_;

  mutable std::shared_mutex mu_;
  std::map<std::string, authpb::User> users_;  // guarded by mu_
  std::map<std::string, authpb::Role> roles_;  // guarded by mu_
  // Each user's merged permissions, rebuilt on every change (guarded by mu_).
  std::unordered_map<std::string, std::shared_ptr<const RangePermissions>> perms_;
  std::atomic<bool> enabled_{false};
  // Starts at 1, as etcd writes it when it creates the store.
  std::atomic<uint64_t> revision_{1};
};

}  // namespace cairn::auth
