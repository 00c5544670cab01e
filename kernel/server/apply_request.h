// Which field of etcd's InternalRaftRequest carries a request, both ways:
// reading a committed entry (decodeRequest) and proposing a plugin command
// (raftRequestFieldFor). Any thread; the descriptors are immutable.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <memory>

#include "etcdserverpb/raft_internal.pb.h"
#include "plugin/plugin_registry.h"

namespace cairn::server {

// The request inside one committed entry.
struct DecodedRequest {
  const google::protobuf::FieldDescriptor* field = nullptr;  // null: none known
  const google::protobuf::Message* request = nullptr;
  std::unique_ptr<google::protobuf::Message> owned;  // a decoded plugin command
};

// Finds the set request field of `entry` (the header and the legacy ID are
// not requests) and, for cairn_plugin_command, decodes the command of a
// type some plugin declared. A plugin command of an undeclared type, or one
// that does not parse, stays the PluginCommand wrapper (its applier refuses
// it).
DecodedRequest decodeRequest(const etcdserverpb::InternalRaftRequest& entry,
                             const plugin::PluginRegistry& registry);

// The field of InternalRaftRequest whose message type is `type` (etcd's own
// requests, e.g. auth_user_add for AuthUserAddRequest), or null when such
// commands travel as cairn_plugin_command.
const google::protobuf::FieldDescriptor* raftRequestFieldFor(
    const google::protobuf::Descriptor* type);

}  // namespace cairn::server
