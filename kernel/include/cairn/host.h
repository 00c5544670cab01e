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

class Host {
 public:
  virtual ~Host() = default;

  virtual KvService& kv() = 0;
  virtual Logger& logger() = 0;

  // The value of a configuration flag by its etcd name ("listen-client-urls",
  // "max-request-bytes", ...), as the user gave it or its default; nullopt for
  // an unknown name. Lists are comma-separated.
  virtual std::optional<std::string> flag(std::string_view name) const = 0;
};

}  // namespace cairn
