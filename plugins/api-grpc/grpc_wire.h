// gRPC over HTTP/2 as api-grpc's own transport writes and reads it
// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): the
// 5-byte message prefix, the grpc-timeout header, and the header blocks of
// an answer. Requests are parsed with the words etcd's grpc-go server uses
// for what does not parse (wire_codec.h).
#pragma once

#include <google/protobuf/message.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "h2/hpack_encoder.h"
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

// ":status: 200" and "content-type: application/grpc" (reused: every
// answer's headers).
std::span<const h2::HeaderField> okHeaders();
// "grpc-status: 0" (reused: every successful answer's trailers).
std::span<const h2::HeaderField> okTrailers();

// grpc-status and grpc-message (percent-encoded as gRPC asks), preceded by
// okHeaders() for a trailers-only answer when `withHeaders`. The fields
// view this object's strings, so it is neither copied nor moved.
class StatusTrailers {
 public:
  StatusTrailers(const Status& status, bool withHeaders);
  StatusTrailers(const StatusTrailers&) = delete;
  StatusTrailers& operator=(const StatusTrailers&) = delete;

  std::span<const h2::HeaderField> fields() const { return {fields_.data(), count_}; }

 private:
  std::string code_;
  std::string message_;
  std::array<h2::HeaderField, 4> fields_{};
  std::size_t count_ = 0;
};

}  // namespace cairn::api::grpcwire
