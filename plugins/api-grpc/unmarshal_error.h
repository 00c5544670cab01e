// Why a request's bytes are not a valid message, in the words of etcd's
// server.
//
// C++ protobuf only says that a parse failed. etcd 3.4's messages are
// decoded by gogoproto-generated code under golang/protobuf 1.3, and its
// gRPC server sends that decoder's error to the client ("unexpected EOF",
// "proto: PutRequest: illegal tag 0 (wire type 0)", "proto: wrong wireType =
// 0 for field Key", ...). Once a parse has failed, this walks the bytes
// against the message's descriptor the way that decoder does and returns the
// first error it would have reported. Only called on the failure path.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>
#include <string_view>

namespace cairn::api {

// The decoder's error for `bytes` as a `type`; a generic text if the walk
// finds nothing wrong (C++ refused for a reason Go would not have).
std::string describeUnmarshalError(const google::protobuf::Descriptor& type,
                                   std::string_view bytes);

}  // namespace cairn::api
