// Applier: one link of the apply chain, in the shape of etcd's applierV3.
//
// The apply loop hands every committed client request to the head of the
// chain. Decorators (AuthApplier today; quota and alarms later) wrap the
// ApplyDispatcher, which routes each request kind to its applier (KV,
// lease, plugin commands). A new concern wraps the chain; it does not edit
// the appliers.
//
// Owner: the apply loop. Every applier runs there, in log order.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "etcdserverpb/raft_internal.pb.h"
#include "mvccpb/kv.pb.h"
#include "wait_registry.h"

namespace etcdserverpb {
class ResponseHeader;
}  // namespace etcdserverpb

namespace cairn::server {

// One committed client request.
struct ApplyRequest {
  const etcdserverpb::InternalRaftRequest& entry;  // as committed
  uint64_t index = 0;                              // its raft index
  // The field of InternalRaftRequest that carried the request (null if the
  // entry carries none this build knows).
  const google::protobuf::FieldDescriptor* field = nullptr;
  // The request itself: that field's message (a PutRequest, ...), or for
  // cairn_plugin_command the decoded command (the PluginCommand wrapper if
  // no plugin declared its type). Null when `field` is.
  const google::protobuf::Message* request = nullptr;
};

// What applying it produced.
struct ApplyOutcome {
  ApplyResult result;                 // the proposer's answer
  std::vector<mvccpb::Event> events;  // the committed write's events, if any
  // A `physical: true` compaction: answer once the compactor deleted the
  // revisions, as etcd does.
  bool awaitPhysicalCompaction = false;
  // result.response's header, when the applier that made the response knows
  // it (respondWith); otherwise the apply loop finds the field by reflection.
  // Whoever replaces result.response resets it.
  etcdserverpb::ResponseHeader* header = nullptr;

  // Makes result.response a new Response and records its header (where
  // Response is complete: the appliers include etcd's rpc.pb.h).
  template <typename Response>
  Response* respondWith() {
    auto resp = std::make_unique<Response>();
    Response* raw = resp.get();
    header = raw->mutable_header();
    result.response = std::move(resp);
    return raw;
  }
};

class Applier {
 public:
  virtual ~Applier() = default;
  // Applies `req` and fills `out`. A failure is answered through
  // out->result.status; whatever it wrote is committed with the entry's
  // consistent index.
  virtual void apply(const ApplyRequest& req, ApplyOutcome* out) = 0;
};

}  // namespace cairn::server
