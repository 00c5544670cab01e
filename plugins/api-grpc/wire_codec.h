// Requests and responses on the wire: every method is served raw (bytes in,
// bytes out) so that a request that does not parse, or is too large, gets
// the status etcd's grpc-go server sends. gRPC C++'s generated handlers
// would answer an unparsable unary request UNIMPLEMENTED with no message,
// and end a stream's reads silently.
//
// Parsing and serializing go through gRPC's own zero-copy buffer
// reader/writer, exactly as generated code does: no extra copy of the bytes.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <string_view>

#include "cairn/status.h"

namespace cairn::api {

// How grpc-go words an unparsable message depends on where it arrived: the
// request of a unary call, or a message read from a stream.
enum class CallShape { Unary, Stream };

inline grpc::Status toGrpcStatus(const Status& status) {
  // cairn::StatusCode uses gRPC's numbers, so the cast is the mapping.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message());
}

// Parses `bytes` into `out` (cleared first). RESOURCE_EXHAUSTED with grpc-go's
// text if larger than `maxRequestBytes` (the receive limit clients see:
// etcd's --max-request-bytes + 512 KiB); INTERNAL with grpc-go's text and
// the decoder's reason if the bytes are not a valid message.
Status decodeRequest(const grpc::ByteBuffer& bytes, int maxRequestBytes, CallShape shape,
                     google::protobuf::Message* out);

// The status for `bytes` that failed to parse as `type`, worded as grpc-go
// words it for a unary request or a stream message. Shared by both
// transports (grpc_wire.h parses from contiguous bytes).
Status unparsableMessage(const google::protobuf::Descriptor& type, std::string_view bytes,
                         CallShape shape);

// Serializes `message` into `out`; false if protobuf refuses.
bool encodeResponse(const google::protobuf::Message& message, grpc::ByteBuffer* out);

// grpc-go's status for a client that ended a call without sending the
// request message its method requires: the handler's io.EOF as UNKNOWN.
Status missingRequest();

}  // namespace cairn::api
