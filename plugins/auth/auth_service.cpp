#include "auth_service.h"

#include "cairn/errors.h"
#include "etcdserverpb/raft_internal.pb.h"

namespace cairn::auth {
namespace {

// Authenticate retries while the auth revision moves between the password
// check and the token's assignment (etcd retries until it holds still).
constexpr int kAuthenticateAttempts = 5;

}  // namespace

etcdserverpb::ResponseHeader AuthService::header(Host& host) const {
  return host.cluster().header(kvRevision_.load(std::memory_order_acquire));
}

template <typename Request, typename Response>
void AuthService::forward(const RequestContext& ctx, const Request& req, Done<Response> done) {
  Host* host = host_.load(std::memory_order_acquire);
  if (host == nullptr) {
    done(Status(Error::Stopped), {});
    return;
  }
  host->propose(ctx, req,
                [this, host, done = std::move(done)](
                    Status st, std::unique_ptr<google::protobuf::Message> applied) {
                  if (!st) {
                    done(std::move(st), {});
                    return;
                  }
                  Response resp;
                  if (applied != nullptr) resp.CopyFrom(static_cast<const Response&>(*applied));
                  *resp.mutable_header() = header(*host);
                  done(Status::ok(), std::move(resp));
                });
}

void AuthService::authenticate(const RequestContext& ctx,
                               const etcdserverpb::AuthenticateRequest& req,
                               Done<etcdserverpb::AuthenticateResponse> done, int attemptsLeft) {
  auto job = [this, ctx, req, done, attemptsLeft]() mutable {
    Host* host = host_.load(std::memory_order_acquire);
    if (host == nullptr) {
      done(Status(Error::Stopped), {});
      return;
    }
    uint64_t checkedAt = 0;
    if (Status st = store_.checkPassword(req.name(), req.password(), &checkedAt); !st) {
      done(std::move(st), {});
      return;
    }
    etcdserverpb::InternalAuthenticateRequest internal;
    internal.set_name(req.name());
    internal.set_simple_token(tokens_.genTokenPrefix());
    host->propose(
        ctx, internal,
        [this, host, ctx, req, done, checkedAt, attemptsLeft](
            Status st, std::unique_ptr<google::protobuf::Message> applied) mutable {
          if (!st) {
            done(std::move(st), {});
            return;
          }
          if (checkedAt != store_.revision()) {
            if (attemptsLeft <= 1) {
              done(Status(Error::AuthOldRevision), {});
              return;
            }
            authenticate(ctx, req, std::move(done), attemptsLeft - 1);
            return;
          }
          etcdserverpb::AuthenticateResponse resp;
          if (applied != nullptr) {
            resp.CopyFrom(static_cast<const etcdserverpb::AuthenticateResponse&>(*applied));
          }
          *resp.mutable_header() = header(*host);
          done(Status::ok(), std::move(resp));
        });
  };
  if (!worker_.post(std::move(job))) done(Status(Error::Stopped), {});
}

ServiceDef AuthService::definition() {
  using namespace etcdserverpb;
  ServiceDef def;
  def.name = "etcdserverpb.Auth";
#define CAIRN_AUTH_FORWARD(Method, Request, Response)                                      \
  def.method<Request, Response>(                                                           \
      Method, [this](const RequestContext& ctx, const Request& req, Done<Response> done) { \
        forward<Request, Response>(ctx, req, std::move(done));                             \
      })
  CAIRN_AUTH_FORWARD("AuthEnable", AuthEnableRequest, AuthEnableResponse);
  CAIRN_AUTH_FORWARD("AuthDisable", AuthDisableRequest, AuthDisableResponse);
  CAIRN_AUTH_FORWARD("UserAdd", AuthUserAddRequest, AuthUserAddResponse);
  CAIRN_AUTH_FORWARD("UserGet", AuthUserGetRequest, AuthUserGetResponse);
  CAIRN_AUTH_FORWARD("UserList", AuthUserListRequest, AuthUserListResponse);
  CAIRN_AUTH_FORWARD("UserDelete", AuthUserDeleteRequest, AuthUserDeleteResponse);
  CAIRN_AUTH_FORWARD("UserChangePassword", AuthUserChangePasswordRequest,
                     AuthUserChangePasswordResponse);
  CAIRN_AUTH_FORWARD("UserGrantRole", AuthUserGrantRoleRequest, AuthUserGrantRoleResponse);
  CAIRN_AUTH_FORWARD("UserRevokeRole", AuthUserRevokeRoleRequest, AuthUserRevokeRoleResponse);
  CAIRN_AUTH_FORWARD("RoleAdd", AuthRoleAddRequest, AuthRoleAddResponse);
  CAIRN_AUTH_FORWARD("RoleGet", AuthRoleGetRequest, AuthRoleGetResponse);
  CAIRN_AUTH_FORWARD("RoleList", AuthRoleListRequest, AuthRoleListResponse);
  CAIRN_AUTH_FORWARD("RoleDelete", AuthRoleDeleteRequest, AuthRoleDeleteResponse);
  CAIRN_AUTH_FORWARD("RoleGrantPermission", AuthRoleGrantPermissionRequest,
                     AuthRoleGrantPermissionResponse);
  CAIRN_AUTH_FORWARD("RoleRevokePermission", AuthRoleRevokePermissionRequest,
                     AuthRoleRevokePermissionResponse);
#undef CAIRN_AUTH_FORWARD
  def.method<AuthenticateRequest, AuthenticateResponse>(
      "Authenticate", [this](const RequestContext& ctx, const AuthenticateRequest& req,
                             Done<AuthenticateResponse> done) {
        authenticate(ctx, req, std::move(done), kAuthenticateAttempts);
      });
  return def;
}

void AuthService::start(Host& host) {
  applied_ = host.events().subscribeApplied([this](int64_t revision, const auto&) {
    int64_t seen = kvRevision_.load(std::memory_order_relaxed);
    while (revision > seen && !kvRevision_.compare_exchange_weak(seen, revision)) {
    }
  });
  // The revision before the first write this plugin sees.
  etcdserverpb::RangeRequest probe;
  probe.set_key(std::string(1, '\0'));
  probe.set_serializable(true);
  probe.set_count_only(true);
  host.kv().range(RequestContext::internal(), probe,
                  [this](Status st, etcdserverpb::RangeResponse&& resp) {
                    if (!st) return;
                    int64_t seen = kvRevision_.load(std::memory_order_relaxed);
                    const int64_t rev = resp.header().revision();
                    while (rev > seen && !kvRevision_.compare_exchange_weak(seen, rev)) {
                    }
                  });
  worker_.start();
  host_.store(&host, std::memory_order_release);
}

void AuthService::stop() {
  host_.store(nullptr, std::memory_order_release);
  worker_.stop();
  applied_.reset();
}

}  // namespace cairn::auth
