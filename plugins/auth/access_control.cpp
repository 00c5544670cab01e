#include "access_control.h"

#include <string_view>

#include "cairn/errors.h"
#include "etcdserverpb/raft_internal.pb.h"

namespace cairn::auth {
namespace {

using google::protobuf::Descriptor;

template <typename T>
bool is(const Descriptor* d) {
  return d == T::descriptor();
}

// Requests anyone may make once authenticated (etcd 3.4 checks nothing more).
bool open(const Descriptor* d) {
  using namespace etcdserverpb;
  return is<LeaseGrantRequest>(d) || is<LeaseRevokeRequest>(d) || is<LeaseKeepAliveRequest>(d) ||
         is<LeaseTimeToLiveRequest>(d) || is<LeaseLeasesRequest>(d) ||
         is<LeaseCheckpointRequest>(d) || is<StatusRequest>(d) || is<MemberListRequest>(d) ||
         is<AuthenticateRequest>(d) || is<InternalAuthenticateRequest>(d);
}

}  // namespace

Status AccessControl::authenticate(const RequestContext& ctx, AuthInfo* out) {
  if (ctx.token.empty()) {
    // No token: a client without identity. It still carries the store's
    // revision, which tells the apply-time check it is a client's request
    // (UserEmpty once auth is on), not the kernel's own. A verified TLS
    // client certificate names the user when auth is on, as in etcd.
    out->user = store_.enabled() ? ctx.tlsCommonName : std::string();
    out->revision = store_.revision();
    return Status::ok();
  }
  uint64_t tokenRevision = 0;
  if (!tokens_.info(ctx.token, &out->user, &tokenRevision)) {
    return Status(Error::InvalidAuthToken);
  }
  out->revision = tokenRevision != 0 ? tokenRevision : store_.revision();
  return Status::ok();
}

Status AccessControl::authorizeTxn(const AuthInfo& who, const etcdserverpb::TxnRequest& txn) const {
  for (const auto& c : txn.compare()) {
    if (Status st = read(who, c.key(), c.range_end()); !st) return st;
  }
  for (const auto* ops : {&txn.success(), &txn.failure()}) {
    for (const etcdserverpb::RequestOp& op : *ops) {
      switch (op.request_case()) {
        case etcdserverpb::RequestOp::kRequestRange:
          if (Status st = read(who, op.request_range().key(), op.request_range().range_end()); !st)
            return st;
          break;
        case etcdserverpb::RequestOp::kRequestPut:
          if (Status st = write(who, op.request_put().key(), ""); !st) return st;
          if (op.request_put().prev_kv()) {
            if (Status st = read(who, op.request_put().key(), ""); !st) return st;
          }
          break;
        case etcdserverpb::RequestOp::kRequestDeleteRange: {
          const auto& d = op.request_delete_range();
          if (d.prev_kv()) {
            if (Status st = read(who, d.key(), d.range_end()); !st) return st;
          }
          if (Status st = write(who, d.key(), d.range_end()); !st) return st;
          break;
        }
        case etcdserverpb::RequestOp::kRequestTxn:
          // etcd 3.4 does not look inside a nested txn; Cairn does.
          if (Status st = authorizeTxn(who, op.request_txn()); !st) return st;
          break;
        default:
          break;
      }
    }
  }
  return Status::ok();
}

Status AccessControl::authorize(const AuthInfo& who, const std::string&,
                                const google::protobuf::Message& request) {
  if (!store_.enabled()) return Status::ok();
  if (who.user.empty() && who.revision == 0) return Status::ok();  // the kernel itself
  using namespace etcdserverpb;
  const Descriptor* d = request.GetDescriptor();
  if (is<RangeRequest>(d)) {
    const auto& r = static_cast<const RangeRequest&>(request);
    return read(who, r.key(), r.range_end());
  }
  if (is<PutRequest>(d)) {
    const auto& r = static_cast<const PutRequest&>(request);
    if (Status st = write(who, r.key(), ""); !st) return st;
    return r.prev_kv() ? read(who, r.key(), "") : Status::ok();
  }
  if (is<DeleteRangeRequest>(d)) {
    const auto& r = static_cast<const DeleteRangeRequest&>(request);
    if (Status st = write(who, r.key(), r.range_end()); !st) return st;
    return r.prev_kv() ? read(who, r.key(), r.range_end()) : Status::ok();
  }
  if (is<TxnRequest>(d)) return authorizeTxn(who, static_cast<const TxnRequest&>(request));
  if (is<WatchCreateRequest>(d)) {
    // A stream's identity is resolved when it opens; etcd resolves the
    // token again at each create, so a create is judged at the current
    // revision (never as "old").
    const auto& r = static_cast<const WatchCreateRequest&>(request);
    return read(AuthInfo{who.user, store_.revision()}, r.key(), r.range_end());
  }
  if (open(d)) {
    // Still a valid identity: a client without one is refused as etcd
    // refuses it where it checks anything; these it does not check.
    return Status::ok();
  }
  if (is<AuthUserGetRequest>(d)) {
    Status st = store_.isAdminPermitted(who.user);
    if (!st && static_cast<const AuthUserGetRequest&>(request).name() != who.user) return st;
    return Status::ok();
  }
  if (is<AuthRoleGetRequest>(d)) {
    Status st = store_.isAdminPermitted(who.user);
    if (!st && !store_.hasRole(who.user, static_cast<const AuthRoleGetRequest&>(request).role()))
      return st;
    return Status::ok();
  }
  if (is<DefragmentRequest>(d) || is<SnapshotRequest>(d) || is<HashRequest>(d) ||
      is<HashKVRequest>(d)) {
    // etcd's maintenance server returns the auth store's errors unmapped
    // (gRPC code Unknown, "auth: ..." text).
    Status st = store_.isAdminPermitted(who.user);
    if (st.is(Error::UserEmpty)) return Status(Error::AuthStoreUserEmpty);
    if (st.is(Error::UserNotFound)) return Status(Error::AuthStoreUserNotFound);
    if (st.is(Error::PermissionDenied)) return Status(Error::AuthStorePermissionDenied);
    return st;
  }
  // Compaction, alarms, leader moves, membership changes, the Auth admin
  // requests and anything this plugin does not know: root only.
  return store_.isAdminPermitted(who.user);
}

}  // namespace cairn::auth
