// BackendQuota: etcd's backend space quota (--quota-backend-bytes). A
// request that grows the store (Put, a Txn with puts, LeaseGrant) has a
// cost, etcd's estimate of what it adds: 256 bytes of key metadata plus key
// and value for a put (a Txn costs its larger branch), 64 bytes for a lease.
// It fits while backend size + cost stays below the quota.
//
// The backend size is Backend::sizeAllocated(): for WiredTiger the bytes of
// its files on disk plus what was committed since the last checkpoint, for
// the memory backend the bytes it holds, dead versions included until
// compaction and defragmentation sweep them. It is sampled at most every
// 100 ms (a WiredTiger sample lists the data directory). Between samples
// the costs of the writes applied since are added to it: charge() for each
// applied write, still in the apply loop's open write group; committed()
// once the batch is in the backend, after which a new sample sees it. So a
// burst of writes within 100 ms cannot run past the quota (a cost may be
// counted twice around a sample: on the safe side).
//
// Threads: any; the sample and the charges are atomics; charge() and
// committed() are the apply loop's.
#pragma once

#include <google/protobuf/message.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "cairn/logger.h"

namespace cairn::server {

class BackendQuota {
 public:
  // etcd's DefaultQuotaBytes (2 GiB) and MaxQuotaBytes (8 GiB, a warning).
  static constexpr int64_t kDefaultBytes = int64_t{2} * 1024 * 1024 * 1024;
  static constexpr int64_t kMaxBytes = int64_t{8} * 1024 * 1024 * 1024;

  // `configuredBytes` as given to --quota-backend-bytes: 0 means the
  // default, a negative value disables the quota. `backendSize` measures the
  // backend (Backend::sizeAllocated).
  BackendQuota(int64_t configuredBytes, std::function<uint64_t()> backendSize);

  // What `request` adds to the store (0 for anything but PutRequest,
  // TxnRequest and LeaseGrantRequest).
  static int64_t cost(const google::protobuf::Message& request);
  // False when the store has no room for `request`; a request of cost 0
  // always fits.
  bool available(const google::protobuf::Message& request) const;
  // Counts an applied write's cost until a sample taken after committed().
  void charge(const google::protobuf::Message& request);
  // The writes charged so far are in the backend.
  void committed();

  bool enabled() const { return maxBytes_ > 0; }
  // The effective quota (0 when disabled).
  int64_t maxBytes() const { return maxBytes_; }
  // Logs the quota once, as etcd does when its server starts.
  void logConfiguration(Logger& logger, int64_t configuredBytes) const;
  // Forgets the sample (after a defragmentation freed space).
  void invalidate() { sampledAtNs_ = 0; }

 private:
  int64_t backendSize() const;

  const int64_t maxBytes_;
  const std::function<uint64_t()> size_;
  mutable std::atomic<int64_t> sampledSize_{0};
  mutable std::atomic<int64_t> sampledAtNs_{0};  // steady clock; 0: none yet
  std::atomic<int64_t> pending_{0};              // charged, not yet committed
  mutable std::atomic<int64_t> committed_{0};    // committed since the sample
};

}  // namespace cairn::server
