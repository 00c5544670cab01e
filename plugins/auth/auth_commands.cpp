#include "auth_commands.h"

namespace cairn::auth {

Status declareCommands(Registrar& registrar, AuthStore& store) {
  using namespace etcdserverpb;
  for (std::string_view bucket : {kAuthBucket, kUsersBucket, kRolesBucket}) {
    if (Status st = registrar.bucket(bucket); !st) return st;
  }
  Status st;
  auto declare = [&](Status s) {
    if (st && !s) st = std::move(s);
  };
  AuthStore* s = &store;
  declare(registrar.command<AuthEnableRequest, AuthEnableResponse>(
      [s](ApplyContext& ctx, const AuthEnableRequest&, AuthEnableResponse*) {
        return s->enable(ctx);
      }));
  declare(registrar.command<AuthDisableRequest, AuthDisableResponse>(
      [s](ApplyContext& ctx, const AuthDisableRequest&, AuthDisableResponse*) {
        return s->disable(ctx);
      }));
  declare(registrar.command<InternalAuthenticateRequest, AuthenticateResponse>(
      [s](ApplyContext& ctx, const InternalAuthenticateRequest& req, AuthenticateResponse* out) {
        return s->authenticate(ctx, req, out->mutable_token());
      }));
  declare(registrar.command<AuthUserAddRequest, AuthUserAddResponse>(
      [s](ApplyContext& ctx, const AuthUserAddRequest& req, AuthUserAddResponse*) {
        return s->userAdd(ctx, req);
      }));
  declare(registrar.command<AuthUserDeleteRequest, AuthUserDeleteResponse>(
      [s](ApplyContext& ctx, const AuthUserDeleteRequest& req, AuthUserDeleteResponse*) {
        return s->userDelete(ctx, req);
      }));
  declare(registrar.command<AuthUserChangePasswordRequest, AuthUserChangePasswordResponse>(
      [s](ApplyContext& ctx, const AuthUserChangePasswordRequest& req,
          AuthUserChangePasswordResponse*) { return s->userChangePassword(ctx, req); }));
  declare(registrar.command<AuthUserGrantRoleRequest, AuthUserGrantRoleResponse>(
      [s](ApplyContext& ctx, const AuthUserGrantRoleRequest& req, AuthUserGrantRoleResponse*) {
        return s->userGrantRole(ctx, req);
      }));
  declare(registrar.command<AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse>(
      [s](ApplyContext& ctx, const AuthUserRevokeRoleRequest& req, AuthUserRevokeRoleResponse*) {
        return s->userRevokeRole(ctx, req);
      }));
  declare(registrar.command<AuthRoleAddRequest, AuthRoleAddResponse>(
      [s](ApplyContext& ctx, const AuthRoleAddRequest& req, AuthRoleAddResponse*) {
        return s->roleAdd(ctx, req);
      }));
  declare(registrar.command<AuthRoleDeleteRequest, AuthRoleDeleteResponse>(
      [s](ApplyContext& ctx, const AuthRoleDeleteRequest& req, AuthRoleDeleteResponse*) {
        return s->roleDelete(ctx, req);
      }));
  declare(registrar.command<AuthRoleGrantPermissionRequest, AuthRoleGrantPermissionResponse>(
      [s](ApplyContext& ctx, const AuthRoleGrantPermissionRequest& req,
          AuthRoleGrantPermissionResponse*) { return s->roleGrantPermission(ctx, req); }));
  declare(registrar.command<AuthRoleRevokePermissionRequest, AuthRoleRevokePermissionResponse>(
      [s](ApplyContext& ctx, const AuthRoleRevokePermissionRequest& req,
          AuthRoleRevokePermissionResponse*) { return s->roleRevokePermission(ctx, req); }));
  // Reads go through the log too, as in etcd: linearizable, and checked at
  // apply time like every other auth request.
  declare(registrar.command<AuthUserGetRequest, AuthUserGetResponse>(
      [s](ApplyContext&, const AuthUserGetRequest& req, AuthUserGetResponse* out) {
        return s->userGet(req.name(), out);
      }));
  declare(registrar.command<AuthUserListRequest, AuthUserListResponse>(
      [s](ApplyContext&, const AuthUserListRequest&, AuthUserListResponse* out) {
        s->userList(out);
        return Status::ok();
      }));
  declare(registrar.command<AuthRoleGetRequest, AuthRoleGetResponse>(
      [s](ApplyContext&, const AuthRoleGetRequest& req, AuthRoleGetResponse* out) {
        return s->roleGet(req.role(), out);
      }));
  declare(registrar.command<AuthRoleListRequest, AuthRoleListResponse>(
      [s](ApplyContext&, const AuthRoleListRequest&, AuthRoleListResponse* out) {
        s->roleList(out);
        return Status::ok();
      }));
  if (!st) return st;
  return registrar.onRecover([s](storage::ReadTxn& read) { return s->recover(read); });
}

}  // namespace cairn::auth
