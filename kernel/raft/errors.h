// Error values of the raft library. Callers match on the message constants
// (the StatusCode alone does not tell "compacted" from "unavailable").
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "cairn/status.h"

namespace cairn::raft {

// No node / no leader. Node ids are never 0.
inline constexpr uint64_t kNone = 0;
// "No size limit" for entry paging.
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// Storage errors (StatusCode::OutOfRange unless noted).
inline constexpr const char* kErrCompacted = "requested index is unavailable due to compaction";
inline constexpr const char* kErrSnapOutOfDate =
    "requested index is older than the existing snapshot";
inline constexpr const char* kErrUnavailable = "requested entry at index is unavailable";
// StatusCode::Unavailable: the application cannot produce a snapshot right now.
inline constexpr const char* kErrSnapshotTemporarilyUnavailable =
    "snapshot is temporarily unavailable";

// Node errors.
// StatusCode::Unavailable: no leader known, leadership transfer in progress,
// node removed, or the uncommitted-bytes budget is full. Callers may retry.
inline constexpr const char* kErrProposalDropped = "raft proposal dropped";
// StatusCode::InvalidArgument.
inline constexpr const char* kErrStepLocalMsg = "raft: cannot step raft local message";
inline constexpr const char* kErrStepPeerNotFound = "raft: cannot step as peer not found";
// StatusCode::FailedPrecondition: campaign() refused.
inline constexpr const char* kErrCampaignNotPromotable =
    "raft: node is not a voter and cannot campaign";
inline constexpr const char* kErrCampaignPendingConf =
    "raft: cannot campaign while committed configuration changes are not applied";

inline Status errCompacted() {
  return Status(StatusCode::OutOfRange, kErrCompacted);
}
inline Status errSnapOutOfDate() {
  return Status(StatusCode::OutOfRange, kErrSnapOutOfDate);
}
inline Status errUnavailable() {
  return Status(StatusCode::OutOfRange, kErrUnavailable);
}
inline Status errSnapshotTemporarilyUnavailable() {
  return Status(StatusCode::Unavailable, kErrSnapshotTemporarilyUnavailable);
}
inline Status errProposalDropped() {
  return Status(StatusCode::Unavailable, kErrProposalDropped);
}

inline bool isError(const Status& s, const char* which) {
  return !s.isOk() && s.message() == which;
}

// Thrown when the library detects a broken invariant (a bug in raft or in
// the caller's use of it, e.g. a Storage that lost committed entries). The
// node must not continue: its state can no longer be trusted.
class RaftInvariantError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] inline void fatal(const std::string& what) {
  throw RaftInvariantError("raft invariant violated: " + what);
}

}  // namespace cairn::raft
