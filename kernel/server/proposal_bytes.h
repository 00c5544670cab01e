// serializeWithField: an InternalRaftRequest's bytes with one request field
// added, without copying the request into the message.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>

#include "etcdserverpb/raft_internal.pb.h"

namespace cairn::server {

// The bytes of `req` with `request` set in its (unset) field `fieldNumber`:
// the field first (tag, length, bytes), then `req`'s own fields. Protobuf
// writes fields in number order, so these are exactly the bytes of the
// message with the field set when every field of `req` is numbered above
// `fieldNumber` (the header is 100, the KV and lease requests below it);
// either way they parse to that message. Why: a put's key and value are
// then copied once, into the proposal, instead of into the message first.
std::string serializeWithField(const etcdserverpb::InternalRaftRequest& req, int fieldNumber,
                               const google::protobuf::MessageLite& request);

}  // namespace cairn::server
