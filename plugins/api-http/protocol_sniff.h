// sniffProtocol: which protocol a client connection speaks, from the bytes
// it sent first (peeked, not consumed).
//
// etcd (cmux) sends a connection to gRPC when it starts with the HTTP/2
// client preface and to the HTTP/1.1 server otherwise. A connection whose
// first bytes are a strict prefix of the preface is undecided until more
// arrive (a client may split its first write).
#pragma once

#include <string_view>

namespace cairn::apihttp {

// RFC 7540 section 3.5.
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class SniffResult {
  Http2,     // the whole preface arrived
  Http1,     // anything else: served as HTTP/1.x
  NeedMore,  // nothing yet, or a strict prefix of the preface
};

SniffResult sniffProtocol(std::string_view firstBytes);

}  // namespace cairn::apihttp
