// Host: what the kernel offers to plugins once the member is ready.
//
// Requests and responses are etcd's own protobuf messages (from the one
// shared proto library), so a frontend only translates transport, never
// semantics. Every call carries the caller's RequestContext and is
// asynchronous: `done` runs exactly once, on a kernel thread (never the
// caller's, unless the request fails validation), and must not block. Errors
// carry etcd's gRPC code and exact message (cairn/errors.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/cluster.h"
#include "cairn/connection.h"
#include "cairn/events.h"
#include "cairn/logger.h"
#include "cairn/maintenance.h"
#include "cairn/metrics.h"
#include "cairn/request_context.h"
#include "cairn/service.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn {

// The etcd v3 KV service.
class KvService {
 public:
  virtual ~KvService() = default;
  virtual void range(const RequestContext& ctx, const etcdserverpb::RangeRequest& req,
                     Done<etcdserverpb::RangeResponse> done) = 0;
  virtual void put(const RequestContext& ctx, const etcdserverpb::PutRequest& req,
                   Done<etcdserverpb::PutResponse> done) = 0;
  virtual void deleteRange(const RequestContext& ctx, const etcdserverpb::DeleteRangeRequest& req,
                           Done<etcdserverpb::DeleteRangeResponse> done) = 0;
  virtual void txn(const RequestContext& ctx, const etcdserverpb::TxnRequest& req,
                   Done<etcdserverpb::TxnResponse> done) = 0;
  virtual void compact(const RequestContext& ctx, const etcdserverpb::CompactionRequest& req,
                       Done<etcdserverpb::CompactionResponse> done) = 0;
};

// The etcd v3 Lease service. Responses carry complete headers.
class LeaseService {
 public:
  virtual ~LeaseService() = default;
  // ID 0: the server chooses one. TTL below the minimum is raised to it.
  virtual void grant(const RequestContext& ctx, const etcdserverpb::LeaseGrantRequest& req,
                     Done<etcdserverpb::LeaseGrantResponse> done) = 0;
  // Deletes every key attached to the lease, in one revision.
  virtual void revoke(const RequestContext& ctx, const etcdserverpb::LeaseRevokeRequest& req,
                      Done<etcdserverpb::LeaseRevokeResponse> done) = 0;
  // One keep-alive of a LeaseKeepAlive stream. A lease that does not exist
  // (or expired while this waited for its revoke) answers OK with TTL 0, as
  // etcd's stream does; any error status ends the client's stream.
  virtual void keepAlive(const RequestContext& ctx, const etcdserverpb::LeaseKeepAliveRequest& req,
                         Done<etcdserverpb::LeaseKeepAliveResponse> done) = 0;
  // A lease that does not exist answers OK with TTL -1, as etcd does.
  virtual void timeToLive(const RequestContext& ctx,
                          const etcdserverpb::LeaseTimeToLiveRequest& req,
                          Done<etcdserverpb::LeaseTimeToLiveResponse> done) = 0;
  virtual void leases(const RequestContext& ctx, const etcdserverpb::LeaseLeasesRequest& req,
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
  // Appended in SDK 5: non-OK when the stream must end with this status
  // instead of serving (etcd's stream interceptor refusals: a learner, or no
  // leader for a client that required one). The frontend checks it after
  // open() and whenever onReady is signalled, and ends the call with it.
  virtual Status failure() const { return Status::ok(); }
  // Appended in SDK 6: as poll(), but the response comes serialized (a
  // WatchResponse message, `out` replaced), for a frontend that writes
  // bytes. The kernel's session encodes each revision's events once and
  // shares the bytes among the watchers it goes to, instead of building
  // and serializing one message per watcher. True with `out` empty: a
  // response was taken but cannot be serialized (over protobuf's 2 GiB; a
  // real response is never empty, it always has a header); the frontend
  // ends the stream with INTERNAL.
  virtual bool pollEncoded(std::string* out) {
    etcdserverpb::WatchResponse response;
    if (!poll(&response)) return false;
    out->clear();
    if (!response.AppendToString(out)) out->clear();
    return true;
  }
};

// The etcd v3 Watch service.
class WatchService {
 public:
  virtual ~WatchService() = default;
  // A new stream. `onReady` runs on a kernel thread (or inside request()),
  // must not block, and may run after the session is closed only until
  // close() returns.
  virtual std::unique_ptr<WatchSession> open(const RequestContext& ctx,
                                             std::function<void()> onReady) = 0;
};

class Host {
 public:
  virtual ~Host() = default;

  virtual KvService& kv() = 0;
  virtual LeaseService& lease() = 0;
  virtual WatchService& watch() = 0;
  virtual Cluster& cluster() = 0;
  virtual Maintenance& maintenance() = 0;
  virtual Events& events() = 0;
  virtual Metrics& metrics() = 0;
  virtual const Settings& settings() const = 0;
  // Every service registered by a plugin (frontends serve them all).
  virtual const ServiceRegistry& services() const = 0;
  // Connection handlers and the client listeners' owner, as declared.
  virtual const ConnectionRegistry& connections() const = 0;
  virtual Logger& logger() = 0;

  // Proposes a replicated command of a type declared with
  // Registrar::command(); `done` gets its apply handler's status and
  // response once the entry is applied on this member.
  virtual void propose(const RequestContext& ctx, const google::protobuf::Message& command,
                       MessageDone done) = 0;
  // A consistent read of the applied state (for plugin buckets).
  virtual std::unique_ptr<storage::ReadTxn> read() = 0;
};

}  // namespace cairn
