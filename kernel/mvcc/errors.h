// The MVCC errors clients can see. They carry the gRPC code and the exact
// message etcd's gRPC layer sends (rpctypes), because the API layer forwards a
// Status unchanged.
#pragma once

#include "cairn/status.h"

namespace cairn::mvcc {

inline Status errCompacted() {
  return Status(StatusCode::OutOfRange, "etcdserver: mvcc: required revision has been compacted");
}
inline Status errFutureRev() {
  return Status(StatusCode::OutOfRange, "etcdserver: mvcc: required revision is a future revision");
}
inline bool isCompacted(const Status& s) {
  return s.code() == StatusCode::OutOfRange && s.message() == errCompacted().message();
}
inline bool isFutureRev(const Status& s) {
  return s.code() == StatusCode::OutOfRange && s.message() == errFutureRev().message();
}

}  // namespace cairn::mvcc
