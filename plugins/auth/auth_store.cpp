#include "auth_store.h"

#include <algorithm>
#include <mutex>

#include "cairn/errors.h"

namespace cairn::auth {
namespace {

constexpr std::string_view kEnabledKey = "authEnabled";
constexpr std::string_view kRevisionKey = "authRevision";

std::string bigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

bool parseBigEndian(std::string_view s, uint64_t* out) {
  if (s.size() != 8) return false;
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<unsigned char>(c);
  *out = v;
  return true;
}

bool hasRootRole(const authpb::User& user) {
  return std::binary_search(user.roles().begin(), user.roles().end(), std::string(kRootRole));
}

Status corrupt(std::string_view bucket, std::string_view key) {
  return Status(StatusCode::DataLoss,
                "auth: cannot parse \"" + std::string(key) + "\" in bucket " + std::string(bucket));
}

}  // namespace

Status AuthStore::recover(storage::ReadTxn& read) {
  std::map<std::string, authpb::User> users;
  std::map<std::string, authpb::Role> roles;
  Status bad;
  Status st =
      read.range(kUsersBucket, "", "", 0, false, [&](std::string_view k, std::string_view v) {
        authpb::User user;
        if (!user.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
          bad = corrupt(kUsersBucket, k);
          return false;
        }
        users.emplace(std::string(k), std::move(user));
        return true;
      });
  if (!st) return st;
  if (!bad) return bad;
  st = read.range(kRolesBucket, "", "", 0, false, [&](std::string_view k, std::string_view v) {
    authpb::Role role;
    if (!role.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      bad = corrupt(kRolesBucket, k);
      return false;
    }
    roles.emplace(std::string(k), std::move(role));
    return true;
  });
  if (!st) return st;
  if (!bad) return bad;
  uint64_t revision = 1;
  if (std::optional<std::string> v = read.get(kAuthBucket, kRevisionKey)) {
    if (!parseBigEndian(*v, &revision)) return corrupt(kAuthBucket, kRevisionKey);
  }
  const std::optional<std::string> flag = read.get(kAuthBucket, kEnabledKey);
  const bool enabled = flag && *flag == std::string_view("\x01", 1);

  std::unique_lock lk(mu_);
  users_ = std::move(users);
  roles_ = std::move(roles);
  refreshPermissions();
  revision_.store(revision, std::memory_order_release);
  enabled_.store(enabled, std::memory_order_release);
  if (enabled) tokens_.enable();
  return Status::ok();
}

void AuthStore::commitRevision(ApplyContext& ctx) {
  const uint64_t next = revision_.load(std::memory_order_relaxed) + 1;
  revision_.store(next, std::memory_order_release);
  ctx.batch->put(kAuthBucket, kRevisionKey, bigEndian(next));
}

void AuthStore::putUser(ApplyContext& ctx, const authpb::User& user) {
  ctx.batch->put(kUsersBucket, user.name(), user.SerializeAsString());
}

void AuthStore::putRole(ApplyContext& ctx, const authpb::Role& role) {
  ctx.batch->put(kRolesBucket, role.name(), role.SerializeAsString());
}

void AuthStore::refreshPermissions() {
  perms_.clear();
  for (const auto& [name, user] : users_) {
    auto perms = std::make_shared<RangePermissions>();
    for (const std::string& roleName : user.roles()) {
      auto it = roles_.find(roleName);
      if (it == roles_.end()) continue;
      for (const authpb::Permission& p : it->second.keypermission()) perms->add(p);
    }
    perms_.emplace(name, std::move(perms));
  }
}

Status AuthStore::enable(ApplyContext& ctx) {
  std::unique_lock lk(mu_);
  if (enabled_.load(std::memory_order_relaxed)) return Status::ok();
  auto root = users_.find(std::string(kRootUser));
  if (root == users_.end()) return Status(Error::RootUserNotExist);
  if (!hasRootRole(root->second)) return Status(Error::RootRoleNotExist);
  ctx.batch->put(kAuthBucket, kEnabledKey, std::string_view("\x01", 1));
  // The revision is written as it stands (etcd writes none here): a store
  // created by Cairn has none yet until the first change.
  ctx.batch->put(kAuthBucket, kRevisionKey, bigEndian(revision_.load(std::memory_order_relaxed)));
  enabled_.store(true, std::memory_order_release);
  tokens_.enable();
  return Status::ok();
}

Status AuthStore::disable(ApplyContext& ctx) {
  std::unique_lock lk(mu_);
  if (!enabled_.load(std::memory_order_relaxed)) return Status::ok();
  ctx.batch->put(kAuthBucket, kEnabledKey, std::string_view("\x00", 1));
  commitRevision(ctx);
  enabled_.store(false, std::memory_order_release);
  tokens_.disable();
  return Status::ok();
}

Status AuthStore::authenticate(ApplyContext& ctx,
                               const etcdserverpb::InternalAuthenticateRequest& req,
                               std::string* token) {
  if (!enabled()) return Status(Error::AuthNotEnabled);
  {
    std::shared_lock lk(mu_);
    auto it = users_.find(req.name());
    if (it == users_.end()) return Status(Error::AuthFailed);
    if (it->second.has_options() && it->second.options().no_password()) {
      return Status(Error::AuthFailed);
    }
  }
  return tokens_.assign(req.name(), revision(), ctx.index, req.simple_token(), token);
}

Status AuthStore::userAdd(ApplyContext& ctx, const etcdserverpb::AuthUserAddRequest& req) {
  if (req.name().empty()) return Status(Error::UserEmpty);
  const bool noPassword = req.has_options() && req.options().no_password();
  std::string hashed;
  if (!noPassword) {
    // On the apply loop, as etcd 3.4 does: the entry carries the password.
    if (Status st = hasher_.hash(req.password(), &hashed); !st) return st;
  }
  std::unique_lock lk(mu_);
  if (users_.count(req.name()) != 0) return Status(Error::UserAlreadyExist);
  authpb::User user;
  user.set_name(req.name());
  user.set_password(hashed);
  user.mutable_options()->set_no_password(noPassword);
  putUser(ctx, user);
  users_.emplace(req.name(), std::move(user));
  commitRevision(ctx);
  refreshPermissions();
  return Status::ok();
}

Status AuthStore::userDelete(ApplyContext& ctx, const etcdserverpb::AuthUserDeleteRequest& req) {
  std::unique_lock lk(mu_);
  if (enabled_.load(std::memory_order_relaxed) && req.name() == kRootUser) {
    return Status(Error::InvalidAuthMgmt);
  }
  if (users_.erase(req.name()) == 0) return Status(Error::UserNotFound);
  ctx.batch->del(kUsersBucket, req.name());
  commitRevision(ctx);
  refreshPermissions();
  tokens_.invalidateUser(req.name());
  return Status::ok();
}

Status AuthStore::userChangePassword(ApplyContext& ctx,
                                     const etcdserverpb::AuthUserChangePasswordRequest& req) {
  std::string hashed;
  if (Status st = hasher_.hash(req.password(), &hashed); !st) return st;
  std::unique_lock lk(mu_);
  auto it = users_.find(req.name());
  if (it == users_.end()) return Status(Error::UserNotFound);
  it->second.set_password(hashed);
  putUser(ctx, it->second);
  commitRevision(ctx);
  refreshPermissions();
  tokens_.invalidateUser(req.name());
  return Status::ok();
}

Status AuthStore::userGrantRole(ApplyContext& ctx,
                                const etcdserverpb::AuthUserGrantRoleRequest& req) {
  std::unique_lock lk(mu_);
  auto it = users_.find(req.user());
  if (it == users_.end()) return Status(Error::UserNotFound);
  if (req.role() != kRootRole && roles_.count(req.role()) == 0) return Status(Error::RoleNotFound);
  auto* roles = it->second.mutable_roles();
  auto pos = std::lower_bound(roles->begin(), roles->end(), req.role());
  if (pos != roles->end() && *pos == req.role()) return Status::ok();  // granted already
  roles->Add(std::string(req.role()));
  std::sort(roles->begin(), roles->end());
  putUser(ctx, it->second);
  commitRevision(ctx);
  refreshPermissions();
  return Status::ok();
}

Status AuthStore::userRevokeRole(ApplyContext& ctx,
                                 const etcdserverpb::AuthUserRevokeRoleRequest& req) {
  std::unique_lock lk(mu_);
  if (enabled_.load(std::memory_order_relaxed) && req.name() == kRootUser &&
      req.role() == kRootRole) {
    return Status(Error::InvalidAuthMgmt);
  }
  auto it = users_.find(req.name());
  if (it == users_.end()) return Status(Error::UserNotFound);
  auto* roles = it->second.mutable_roles();
  auto pos = std::find(roles->begin(), roles->end(), req.role());
  if (pos == roles->end()) return Status(Error::RoleNotGranted);
  roles->erase(pos);
  putUser(ctx, it->second);
  commitRevision(ctx);
  refreshPermissions();
  return Status::ok();
}

Status AuthStore::roleAdd(ApplyContext& ctx, const etcdserverpb::AuthRoleAddRequest& req) {
  if (req.name().empty()) return Status(Error::RoleEmpty);
  std::unique_lock lk(mu_);
  if (roles_.count(req.name()) != 0) return Status(Error::RoleAlreadyExist);
  authpb::Role role;
  role.set_name(req.name());
  putRole(ctx, role);
  roles_.emplace(req.name(), std::move(role));
  commitRevision(ctx);
  return Status::ok();
}

Status AuthStore::roleDelete(ApplyContext& ctx, const etcdserverpb::AuthRoleDeleteRequest& req) {
  std::unique_lock lk(mu_);
  if (enabled_.load(std::memory_order_relaxed) && req.role() == kRootRole) {
    return Status(Error::InvalidAuthMgmt);
  }
  if (roles_.erase(req.role()) == 0) return Status(Error::RoleNotFound);
  ctx.batch->del(kRolesBucket, req.role());
  // The role leaves every user that held it.
  for (auto& [name, user] : users_) {
    auto* roles = user.mutable_roles();
    auto pos = std::find(roles->begin(), roles->end(), req.role());
    if (pos == roles->end()) continue;
    roles->erase(pos);
    putUser(ctx, user);
  }
  commitRevision(ctx);
  refreshPermissions();
  return Status::ok();
}

Status AuthStore::roleGrantPermission(ApplyContext& ctx,
                                      const etcdserverpb::AuthRoleGrantPermissionRequest& req) {
  std::unique_lock lk(mu_);
  auto it = roles_.find(req.name());
  if (it == roles_.end()) return Status(Error::RoleNotFound);
  auto* perms = it->second.mutable_keypermission();
  auto same = std::find_if(perms->begin(), perms->end(), [&](const authpb::Permission& p) {
    return p.key() == req.perm().key() && p.range_end() == req.perm().range_end();
  });
  if (same != perms->end()) {
    same->set_permtype(req.perm().permtype());
  } else {
    authpb::Permission* added = perms->Add();
    added->set_key(req.perm().key());
    added->set_range_end(req.perm().range_end());
    added->set_permtype(req.perm().permtype());
    // Kept ordered by key, as etcd keeps (and lists) them.
    std::stable_sort(
        perms->begin(), perms->end(),
        [](const authpb::Permission& a, const authpb::Permission& b) { return a.key() < b.key(); });
  }
  putRole(ctx, it->second);
  commitRevision(ctx);
  refreshPermissions();
  return Status::ok();
}

Status AuthStore::roleRevokePermission(ApplyContext& ctx,
                                       const etcdserverpb::AuthRoleRevokePermissionRequest& req) {
  std::unique_lock lk(mu_);
  auto it = roles_.find(req.role());
  if (it == roles_.end()) return Status(Error::RoleNotFound);
  auto* perms = it->second.mutable_keypermission();
  const int before = perms->size();
  for (int i = perms->size() - 1; i >= 0; --i) {
    if (perms->Get(i).key() == req.key() && perms->Get(i).range_end() == req.range_end()) {
      perms->DeleteSubrange(i, 1);
    }
  }
  if (perms->size() == before) return Status(Error::PermissionNotGranted);
  putRole(ctx, it->second);
  commitRevision(ctx);
  refreshPermissions();
  return Status::ok();
}

Status AuthStore::userGet(const std::string& name, etcdserverpb::AuthUserGetResponse* out) const {
  std::shared_lock lk(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return Status(Error::UserNotFound);
  for (const std::string& role : it->second.roles()) out->add_roles(role);
  return Status::ok();
}

void AuthStore::userList(etcdserverpb::AuthUserListResponse* out) const {
  std::shared_lock lk(mu_);
  for (const auto& [name, _] : users_) out->add_users(name);
}

Status AuthStore::roleGet(const std::string& name, etcdserverpb::AuthRoleGetResponse* out) const {
  std::shared_lock lk(mu_);
  auto it = roles_.find(name);
  if (it == roles_.end()) return Status(Error::RoleNotFound);
  for (const authpb::Permission& p : it->second.keypermission()) *out->add_perm() = p;
  return Status::ok();
}

void AuthStore::roleList(etcdserverpb::AuthRoleListResponse* out) const {
  std::shared_lock lk(mu_);
  for (const auto& [name, _] : roles_) out->add_roles(name);
}

Status AuthStore::checkPassword(const std::string& name, const std::string& password,
                                uint64_t* checkedAt) const {
  if (!enabled()) return Status(Error::AuthNotEnabled);
  std::string stored;
  bool found = false;
  bool noPassword = false;
  {
    std::shared_lock lk(mu_);
    auto it = users_.find(name);
    if (it != users_.end()) {
      found = true;
      noPassword = it->second.has_options() && it->second.options().no_password();
      stored = it->second.password();
    }
    *checkedAt = revision();
  }
  if (found && noPassword) return Status(Error::NoPasswordUser);
  // The bcrypt work is the same whether the user exists or not.
  if (!found) {
    hasher_.verifyDummy(password);
    return Status(Error::AuthFailed);
  }
  if (!hasher_.verify(password, stored)) return Status(Error::AuthFailed);
  return Status::ok();
}

Status AuthStore::isOpPermitted(const std::string& user, uint64_t revision, std::string_view key,
                                std::string_view rangeEnd, bool write) const {
  if (!enabled()) return Status::ok();
  // The kernel's own requests (lease expiry, compaction schedules) carry no
  // identity at all; a client's always carries a revision (see
  // AccessControl::authenticate).
  if (user.empty() && revision == 0) return Status::ok();
  if (user.empty()) return Status(Error::UserEmpty);
  if (revision < this->revision()) return Status(Error::AuthOldRevision);
  std::shared_lock lk(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return Status(Error::PermissionDenied);
  if (hasRootRole(it->second)) return Status::ok();
  auto perms = perms_.find(user);
  if (perms == perms_.end()) return Status(Error::PermissionDenied);
  const bool ok =
      write ? perms->second->canWrite(key, rangeEnd) : perms->second->canRead(key, rangeEnd);
  return ok ? Status::ok() : Status(Error::PermissionDenied);
}

Status AuthStore::isAdminPermitted(const std::string& user) const {
  if (!enabled()) return Status::ok();
  if (user.empty()) return Status(Error::UserEmpty);
  std::shared_lock lk(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return Status(Error::UserNotFound);
  if (!hasRootRole(it->second)) return Status(Error::PermissionDenied);
  return Status::ok();
}

bool AuthStore::hasRole(const std::string& user, const std::string& role) const {
  std::shared_lock lk(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  return std::find(it->second.roles().begin(), it->second.roles().end(), role) !=
         it->second.roles().end();
}

}  // namespace cairn::auth
