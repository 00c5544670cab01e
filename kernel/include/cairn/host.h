// Host: what the kernel offers to API and extension plugins.
//
// Requests and responses are etcd's own protobuf messages (from the one
// shared proto library), so a frontend only translates transport, never
// semantics. Every call is asynchronous: `done` runs exactly once, on a kernel
// thread (never the caller's, unless the request fails validation), and must
// not block. Errors carry etcd's gRPC code and exact message.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/logger.h"
#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn {

template <typename Response>
using Done = std::function<void(Status, Response&&)>;

// The etcd v3 KV service.
class KvService {
 public:
  virtual ~KvService() = default;
  virtual void range(const etcdserverpb::RangeRequest& req,
                     Done<etcdserverpb::RangeResponse> done) = 0;
  virtual void put(const etcdserverpb::PutRequest& req, Done<etcdserverpb::PutResponse> done) = 0;
  virtual void deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                           Done<etcdserverpb::DeleteRangeResponse> done) = 0;
  virtual void txn(const etcdserverpb::TxnRequest& req, Done<etcdserverpb::TxnResponse> done) = 0;
  virtual void compact(const etcdserverpb::CompactionRequest& req,
                       Done<etcdserverpb::CompactionResponse> done) = 0;
};

// The etcd v3 Lease service. Responses carry complete headers.
class LeaseService {
 public:
  virtual ~LeaseService() = default;
  // ID 0: the server chooses one. TTL below the minimum is raised to it.
  virtual void grant(const etcdserverpb::LeaseGrantRequest& req,
                     Done<etcdserverpb::LeaseGrantResponse> done) = 0;
  // Deletes every key attached to the lease, in one revision.
  virtual void revoke(const etcdserverpb::LeaseRevokeRequest& req,
                      Done<etcdserverpb::LeaseRevokeResponse> done) = 0;
  // One keep-alive of a LeaseKeepAlive stream. A lease that does not exist
  // (or expired while this waited for its revoke) answers OK with TTL 0, as
  // etcd's stream does; any error status ends the client's stream.
  virtual void keepAlive(const etcdserverpb::LeaseKeepAliveRequest& req,
                         Done<etcdserverpb::LeaseKeepAliveResponse> done) = 0;
  // A lease that does not exist answers OK with TTL -1, as etcd does.
  virtual void timeToLive(const etcdserverpb::LeaseTimeToLiveRequest& req,
                          Done<etcdserverpb::LeaseTimeToLiveResponse> done) = 0;
  virtual void leases(const etcdserverpb::LeaseLeasesRequest& req,
                      Done<etcdserverpb::LeaseLeasesResponse> done) = 0;
};

// One client Watch stream: many watchers, one ordered response queue.
// Delivery is pull-based because a gRPC stream has one write in flight at a
// time and the bounded backlog must live in the kernel, where a full buffer
// moves a watcher to catch up from history instead of blocking the apply
// loop: the kernel calls `onReady` when the queue becomes non-empty, and the
// frontend then takes responses with poll() until it returns false.
// Thread-safe; request() and poll() may be called from any thread.
class WatchSession {
 public:
  // Closes the session (as close()).
  virtual ~WatchSession() = default;
  // Handles one client message: create (its "created" response, or a
  // created+canceled one with the error in cancel_reason, is queued), cancel
  // (queues the canceled response; an unknown id queues nothing),
  // progress_request. Requests of no known kind are ignored, as etcd does.
  virtual void request(const etcdserverpb::WatchRequest& req) = 0;
  // Takes the next response (header complete), if any.
  virtual bool poll(etcdserverpb::WatchResponse* out) = 0;
  // Cancels every watcher silently (the client went away); idempotent. After
  // it, `onReady` is never called again.
  virtual void close() = 0;
};

// The etcd v3 Watch service.
class WatchService {
 public:
  virtual ~WatchService() = default;
  // A new stream. `onReady` runs on a kernel thread (or inside request()),
  // must not block, and may run after the session is closed only until
  // close() returns.
  virtual std::unique_ptr<WatchSession> open(std::function<void()> onReady) = 0;
};

class Host {
 public:
  virtual ~Host() = default;

  virtual KvService& kv() = 0;
  virtual LeaseService& lease() = 0;
  virtual WatchService& watch() = 0;
  virtual Logger& logger() = 0;

  // The value of a configuration flag by its etcd name ("listen-client-urls",
  // "max-request-bytes", ...), as the user gave it or its default; nullopt for
  // an unknown name. Lists are comma-separated.
  virtual std::optional<std::string> flag(std::string_view name) const = 0;
};

}  // namespace cairn
