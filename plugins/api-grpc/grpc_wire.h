// gRPC over HTTP/2 as api-grpc's own transport writes and reads it
// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): the
// 5-byte message prefix, the grpc-timeout header, and the header blocks of
// an answer. Requests are parsed with the words etcd's grpc-go server uses
// for what does not parse (wire_codec.h).
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "wire_codec.h"

namespace cairn::api::grpcwire {

// Compressed flag (1 byte) and big-endian length (4 bytes).
inline constexpr std::size_t kPrefixBytes = 5;

// Appends the prefix of an uncompressed message of `length` bytes.
void appendPrefix(std::size_t length, std::string* out);
// Appends `message` serialized with its prefix; false if protobuf refuses.
bool appendMessage(const google::protobuf::Message& message, std::string* out);

// Parses `bytes` into `out` as decodeRequest (wire_codec.h) does.
Status decode(std::string_view bytes, int maxRequestBytes, CallShape shape,
              google::protobuf::Message* out);

// "1000m", "5S", ...: nullopt if malformed (the header is then ignored).
std::optional<std::chrono::nanoseconds> parseTimeout(std::string_view value);

// ":status: 200" and "content-type: application/grpc", HPACK-encoded.
const std::string& okHeaders();
// "grpc-status: 0".
const std::string& okTrailers();
// grpc-status and grpc-message (percent-encoded as gRPC asks), preceded by
// okHeaders() for a trailers-only answer when `withHeaders`.
std::string statusTrailers(const Status& status, bool withHeaders);

}  // namespace cairn::api::grpcwire
