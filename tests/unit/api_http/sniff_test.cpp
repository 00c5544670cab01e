// Protocol sniffing: which connections go to gRPC. Only a complete HTTP/2
// preface does; a strict prefix waits for more bytes; anything else, even a
// method that starts like the preface, is HTTP/1.x.
#include <catch2/catch.hpp>
#include <string>

#include "protocol_sniff.h"

using cairn::apihttp::kHttp2Preface;
using cairn::apihttp::sniffProtocol;
using cairn::apihttp::SniffResult;

TEST_CASE("the whole HTTP/2 preface is gRPC, with or without the frames after it") {
  CHECK(sniffProtocol(kHttp2Preface) == SniffResult::Http2);
  CHECK(sniffProtocol(std::string(kHttp2Preface) + "\x00\x00\x12\x04") == SniffResult::Http2);
}

TEST_CASE("nothing yet or a strict prefix of the preface needs more bytes") {
  CHECK(sniffProtocol("") == SniffResult::NeedMore);
  CHECK(sniffProtocol("P") == SniffResult::NeedMore);
  CHECK(sniffProtocol("PRI * HTTP/2.0\r\n") == SniffResult::NeedMore);
  CHECK(sniffProtocol(kHttp2Preface.substr(0, kHttp2Preface.size() - 1)) == SniffResult::NeedMore);
}

TEST_CASE("HTTP/1.x requests are served by Beast") {
  CHECK(sniffProtocol("GET /health HTTP/1.1\r\n") == SniffResult::Http1);
  CHECK(sniffProtocol("POST /v3/kv/range HTTP/1.1\r\n") == SniffResult::Http1);
  CHECK(sniffProtocol("PUT / HTTP/1.1") == SniffResult::Http1);  // shares the 'P'
  CHECK(sniffProtocol("PRI * HTTP/1.1\r\n") == SniffResult::Http1);
  CHECK(sniffProtocol("G") == SniffResult::Http1);
  // A TLS ClientHello is not served (no client TLS yet): it is not HTTP/2.
  CHECK(sniffProtocol("\x16\x03\x01") == SniffResult::Http1);
}
