// The error catalogue: every error a client of etcd 3.4 can match on, once,
// with its gRPC code and exact message (etcdserver/api/v3rpc/rpctypes and the
// few strings of etcd's other layers that reach clients), plus Cairn's own
// internal signals. Code compares errors by value (`st.is(Error::X)`), never
// by message text.
//
// Add an entry by adding one CAIRN_ERROR line; its position is its number,
// so append, never reorder (plugins compiled against this SDK compare them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"

// X(name, gRPC code, message). An empty message means "message from detail".
#define CAIRN_ERRORS(X)                                                                            \
  X(None, Ok, "")                                                                                  \
  /* KV requests (v3rpc/key.go checks, rpctypes) */                                                \
  X(EmptyKey, InvalidArgument, "etcdserver: key is not provided")                                  \
  X(KeyNotFound, InvalidArgument, "etcdserver: key not found")                                     \
  X(ValueProvided, InvalidArgument, "etcdserver: value is provided")                               \
  X(LeaseProvided, InvalidArgument, "etcdserver: lease is provided")                               \
  X(TooManyOps, InvalidArgument, "etcdserver: too many operations in txn request")                 \
  X(DuplicateKey, InvalidArgument, "etcdserver: duplicate key given in txn request")               \
  /* etcd 3.4 crashes on an unknown sort target; Cairn answers etcd 3.5's error. */                \
  X(InvalidSortOption, InvalidArgument, "etcdserver: invalid sort option")                         \
  X(Compacted, OutOfRange, "etcdserver: mvcc: required revision has been compacted")               \
  X(FutureRev, OutOfRange, "etcdserver: mvcc: required revision is a future revision")             \
  X(NoSpace, ResourceExhausted, "etcdserver: mvcc: database space exceeded")                       \
  /* Leases */                                                                                     \
  X(LeaseNotFound, NotFound, "etcdserver: requested lease not found")                              \
  X(LeaseExist, FailedPrecondition, "etcdserver: lease already exists")                            \
  X(LeaseTtlTooLarge, OutOfRange, "etcdserver: too large lease TTL")                               \
  /* Watches */                                                                                    \
  X(WatchCanceled, Cancelled, "etcdserver: watch canceled")                                        \
  X(WatchDuplicateId, AlreadyExists, "mvcc: duplicate watch ID provided on the WatchStream")       \
  X(WatchRangeEmpty, InvalidArgument, "mvcc: watcher range is empty")                              \
  X(WatcherNotExist, NotFound, "mvcc: watcher does not exist")                                     \
  /* Membership */                                                                                 \
  X(MemberExist, FailedPrecondition, "etcdserver: member ID already exist")                        \
  X(PeerUrlExist, FailedPrecondition, "etcdserver: Peer URLs already exists")                      \
  X(MemberNotEnoughStarted, FailedPrecondition,                                                    \
    "etcdserver: re-configuration failed due to not enough started members")                       \
  X(MemberBadUrls, InvalidArgument, "etcdserver: given member URLs are invalid")                   \
  X(MemberNotFound, NotFound, "etcdserver: member not found")                                      \
  X(MemberNotLearner, FailedPrecondition, "etcdserver: can only promote a learner member")         \
  X(LearnerNotReady, FailedPrecondition,                                                           \
    "etcdserver: can only promote a learner member which is in sync with leader")                  \
  X(TooManyLearners, FailedPrecondition, "etcdserver: too many learner members in cluster")        \
  /* Requests */                                                                                   \
  X(RequestTooLarge, InvalidArgument, "etcdserver: request is too large")                          \
  X(TooManyRequests, ResourceExhausted, "etcdserver: too many requests")                           \
  /* Auth */                                                                                       \
  X(RootUserNotExist, FailedPrecondition, "etcdserver: root user does not exist")                  \
  X(RootRoleNotExist, FailedPrecondition, "etcdserver: root user does not have root role")         \
  X(UserAlreadyExist, FailedPrecondition, "etcdserver: user name already exists")                  \
  X(UserEmpty, InvalidArgument, "etcdserver: user name is empty")                                  \
  X(UserNotFound, FailedPrecondition, "etcdserver: user name not found")                           \
  X(RoleAlreadyExist, FailedPrecondition, "etcdserver: role name already exists")                  \
  X(RoleNotFound, FailedPrecondition, "etcdserver: role name not found")                           \
  X(RoleEmpty, InvalidArgument, "etcdserver: role name is empty")                                  \
  X(AuthFailed, InvalidArgument, "etcdserver: authentication failed, invalid user ID or password") \
  X(PermissionDenied, PermissionDenied, "etcdserver: permission denied")                           \
  X(RoleNotGranted, FailedPrecondition, "etcdserver: role is not granted to the user")             \
  X(PermissionNotGranted, FailedPrecondition, "etcdserver: permission is not granted to the role") \
  X(AuthNotEnabled, FailedPrecondition, "etcdserver: authentication is not enabled")               \
  X(InvalidAuthToken, Unauthenticated, "etcdserver: invalid auth token")                           \
  X(InvalidAuthMgmt, InvalidArgument, "etcdserver: invalid auth management")                       \
  X(AuthOldRevision, InvalidArgument, "etcdserver: revision of auth store is old")                 \
  /* Leadership and availability */                                                                \
  X(NoLeader, Unavailable, "etcdserver: no leader")                                                \
  X(NotLeader, FailedPrecondition, "etcdserver: not leader")                                       \
  X(LeaderChanged, Unavailable, "etcdserver: leader changed")                                      \
  X(NotCapable, Unavailable, "etcdserver: not capable")                                            \
  X(Stopped, Unavailable, "etcdserver: server stopped")                                            \
  X(Timeout, Unavailable, "etcdserver: request timed out")                                         \
  X(TimeoutDueToLeaderFail, Unavailable,                                                           \
    "etcdserver: request timed out, possibly due to previous leader failure")                      \
  X(TimeoutDueToConnectionLost, Unavailable,                                                       \
    "etcdserver: request timed out, possibly due to connection lost")                              \
  X(TimeoutWaitAppliedIndex, Unavailable,                                                          \
    "etcdserver: request timed out, waiting for the applied index took too long")                  \
  X(Unhealthy, Unavailable, "etcdserver: unhealthy cluster")                                       \
  X(Corrupt, DataLoss, "etcdserver: corrupt cluster")                                              \
  X(NotSupportedForLearner, Unavailable, "etcdserver: rpc not supported for learner")              \
  X(BadLeaderTransferee, FailedPrecondition, "etcdserver: bad leader transferee")                  \
  X(TimeoutLeaderTransfer, Unknown,                                                                \
    "etcdserver: request timed out, leader transfer took too long")                                \
  /* Elections (clientv3/concurrency, as the v3election service returns them) */                   \
  X(ElectionNotLeader, Unknown, "election: not leader")                                            \
  X(ElectionNoLeader, Unknown, "election: no leader")                                              \
  /* gRPC transport words that etcd's (grpc-go) server sends; message from detail */               \
  X(MessageTooLarge, ResourceExhausted, "") /* "grpc: received message larger than max (..)" */    \
  X(UnparsableRequest, Internal, "")        /* "grpc: error unmarshalling request: ..." */         \
  /* Cairn-internal signals: acted on inside the kernel, never sent as such */                     \
  X(LeaseNotPrimary, Unavailable, "not a primary lessor")                                          \
  X(LeaseExpiring, Aborted, "lease expired, revoke pending")                                       \
  /* Auth, appended: etcd's v3rpc has no gRPC error for it and sends the auth */                   \
  /* store's text with code Unknown */                                                             \
  X(NoPasswordUser, Unknown,                                                                       \
    "auth: authentication failed, password was given for no password user")                        \
  /* etcd's Maintenance Defragment/Snapshot/Hash/HashKV return the auth store's */                 \
  /* own errors unmapped, which grpc-go sends with code Unknown */                                 \
  X(AuthStorePermissionDenied, Unknown, "auth: permission denied")                                 \
  X(AuthStoreUserEmpty, Unknown, "auth: user name is empty")                                       \
  X(AuthStoreUserNotFound, Unknown, "auth: user not found")

namespace cairn {

enum class Error : uint16_t {
#define CAIRN_ERROR_ENUM(name, code, message) name,
  CAIRN_ERRORS(CAIRN_ERROR_ENUM)
#undef CAIRN_ERROR_ENUM
};

struct ErrorInfo {
  Error error;
  StatusCode code;
  std::string_view message;  // empty: the message comes from the detail
  std::string_view name;     // the enumerator's name, for logs and tests
};

// Every catalogue entry, in enum order.
inline constexpr ErrorInfo kErrorCatalogue[] = {
#define CAIRN_ERROR_INFO(name, code, message) \
  ErrorInfo{Error::name, StatusCode::code, message, #name},
    CAIRN_ERRORS(CAIRN_ERROR_INFO)
#undef CAIRN_ERROR_INFO
};

inline constexpr const ErrorInfo& errorInfo(Error e) {
  return kErrorCatalogue[static_cast<uint16_t>(e)];
}

// The catalogue entry a gRPC status sent by etcd corresponds to (code and
// exact message), or Error::None. For frontends and tests that receive
// errors as text, e.g. from a forwarded call.
inline Error errorFromWire(StatusCode code, std::string_view message) {
  for (const ErrorInfo& info : kErrorCatalogue) {
    if (info.code == code && !info.message.empty() && info.message == message) return info.error;
  }
  return Error::None;
}

inline Status::Status(Error error)
    : code_(errorInfo(error).code), message_(errorInfo(error).message), error_(error) {}
inline Status::Status(Error error, std::string detail)
    : code_(errorInfo(error).code), message_(std::move(detail)), error_(error) {}

// grpc-go's words for a request that does not parse (what etcd sends).
inline Status unparsableRequest(std::string_view why) {
  return Status(Error::UnparsableRequest, "grpc: error unmarshalling request: " + std::string(why));
}
// grpc-go's words for a message over the receive limit.
inline Status messageTooLarge(uint64_t size, uint64_t limit) {
  return Status(Error::MessageTooLarge, "grpc: received message larger than max (" +
                                            std::to_string(size) + " vs. " + std::to_string(limit) +
                                            ")");
}

}  // namespace cairn
