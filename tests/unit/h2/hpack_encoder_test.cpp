// HpackEncoder's dynamic table: the fields every gRPC answer repeats go in
// once and out as one byte after, and the peer's SETTINGS_HEADER_TABLE_SIZE
// shrinks the table the way the peer's decoder does. Every block is decoded
// by an HpackDecoder kept across blocks, as a client's connection keeps it,
// and the decoder's table is compared with the encoder's.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hpack_helpers.h"

using namespace cairn::api::h2::testing;
using cairn::api::h2::HeaderField;

namespace {

const std::vector<HeaderField> kOkHeaders = {{":status", "200"},
                                             {"content-type", "application/grpc", true}};
const std::vector<HeaderField> kOkTrailers = {{"grpc-status", "0", true}};
const Headers kOkHeadersDecoded = {{":status", "200"}, {"content-type", "application/grpc"}};
const Headers kOkTrailersDecoded = {{"grpc-status", "0"}};

std::string encodeBlock(HpackEncoder& encoder, const std::vector<HeaderField>& fields) {
  std::string out;
  encoder.encodeBlock(fields, &out);
  return out;
}

std::string sizeUpdate(std::size_t size) {
  std::string out;
  encodeInteger(size, 5, 0x20, &out);
  return out;
}

// One answer's header blocks, checked against what the decoder makes of them.
void answer(HpackEncoder& encoder, HpackDecoder& decoder, std::string* headers,
            std::string* trailers) {
  *headers = encodeBlock(encoder, kOkHeaders);
  *trailers = encodeBlock(encoder, kOkTrailers);
  CHECK(decodeOk(decoder, *headers) == kOkHeadersDecoded);
  CHECK(decodeOk(decoder, *trailers) == kOkTrailersDecoded);
}

}  // namespace

TEST_CASE("reused fields enter the dynamic table once, then go out as one byte", "[hpack]") {
  HpackEncoder encoder;
  HpackDecoder decoder;
  std::string headers;
  std::string trailers;
  answer(encoder, decoder, &headers, &trailers);
  // :status 200 is static index 8; the others are literals with incremental
  // indexing (01 pattern): content-type by its static name index 31,
  // grpc-status with a literal name.
  CHECK(headers.substr(0, 2) == "\x88\x5f");
  CHECK(static_cast<unsigned char>(trailers[0]) == 0x40);
  requireDynamicTable(decoder, {{"grpc-status", "0"}, {"content-type", "application/grpc"}});
  CHECK(encoder.entries() == 2);
  CHECK(encoder.tableSize() == (12 + 16 + 32) + (11 + 1 + 32));
  for (int i = 0; i < 3; ++i) {
    answer(encoder, decoder, &headers, &trailers);
    CHECK(headers == "\x88\xbf");  // content-type is 63 (older)
    CHECK(trailers == "\xbe");     // grpc-status is 62 (newest)
  }
  requireDynamicTable(decoder, {{"grpc-status", "0"}, {"content-type", "application/grpc"}});
}

TEST_CASE("fields not marked reused never enter the table", "[hpack]") {
  HpackEncoder encoder;
  HpackDecoder decoder;
  const std::vector<HeaderField> error = {{"grpc-status", "9"}, {"grpc-message", "call 5"}};
  std::string literal;
  const HpackEncoder stateless;
  stateless.encode("grpc-status", "9", &literal);
  stateless.encode("grpc-message", "call 5", &literal);
  for (int i = 0; i < 2; ++i) {
    const std::string block = encodeBlock(encoder, error);
    CHECK(block == literal);
    CHECK(decodeOk(decoder, block) == Headers{{"grpc-status", "9"}, {"grpc-message", "call 5"}});
  }
  CHECK(encoder.entries() == 0);
  requireDynamicTable(decoder, {});
}

TEST_CASE("a lowered SETTINGS_HEADER_TABLE_SIZE shrinks the table as the peer's decoder does",
          "[hpack]") {
  HpackEncoder encoder;
  HpackDecoder decoder;
  std::string headers;
  std::string trailers;
  answer(encoder, decoder, &headers, &trailers);

  SECTION("to a size that keeps the newest entry") {
    // Two settings before the next block: the table takes the smaller, and
    // one size update announces it.
    encoder.setPeerTableSize(60);
    encoder.setPeerTableSize(50);
    CHECK(encoder.entries() == 1);  // content-type (60 bytes, oldest) is out
    answer(encoder, decoder, &headers, &trailers);
    CHECK(headers.substr(0, 3) == sizeUpdate(50) + "\x88");
    // content-type no longer fits beside grpc-status: a plain literal.
    std::string literal;
    HpackEncoder().encode("content-type", "application/grpc", &literal);
    CHECK(headers.substr(3) == literal);
    CHECK(trailers == "\xbe");
    requireDynamicTable(decoder, {{"grpc-status", "0"}});
    // Announced once.
    answer(encoder, decoder, &headers, &trailers);
    CHECK(headers.substr(0, 1) == "\x88");
    CHECK(trailers == "\xbe");
  }
  SECTION("to zero: every field a literal from then on") {
    encoder.setPeerTableSize(0);
    CHECK(encoder.entries() == 0);
    answer(encoder, decoder, &headers, &trailers);
    CHECK(headers.substr(0, 2) == sizeUpdate(0) + "\x88");
    requireDynamicTable(decoder, {});
    answer(encoder, decoder, &headers, &trailers);
    std::string literal;
    HpackEncoder().encode("grpc-status", "0", &literal);
    CHECK(trailers == literal);
    requireDynamicTable(decoder, {});
  }
  SECTION("a larger size changes nothing: the table stays at 4096") {
    encoder.setPeerTableSize(65536);
    answer(encoder, decoder, &headers, &trailers);
    CHECK(headers == "\x88\xbf");
    CHECK(trailers == "\xbe");
  }
}
