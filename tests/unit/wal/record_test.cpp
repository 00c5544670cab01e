#include "wal/record.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "cairn/crc32c.h"
#include "wal/crc32c.h"
#include "wal/segment_decoder.h"
#include "wal/segment_name.h"

using namespace cairn;
using namespace cairn::wal;

TEST_CASE("crc32c matches the Castagnoli check values", "[wal][crc]") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
  // RFC 3720 (iSCSI) test vector: 32 bytes of zeros.
  CHECK(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
}

TEST_CASE("crc32cExtend chains like one pass over the concatenation", "[wal][crc]") {
  const std::string a = "hello, ";
  const std::string b = "write-ahead log";
  CHECK(wal::crc32cExtend(crc32c(a), b) == crc32c(a + b));
  CHECK(wal::crc32cExtend(0, a) == crc32c(a));
}

TEST_CASE("the CRC-32C instruction path equals the table path at every length and offset",
          "[wal][crc]") {
  std::string data(300, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t n = 0; n + offset <= data.size(); n += (n < 40 ? 1 : 37)) {
      const uint32_t byTable = crc32c_detail::extendByTable(0x5EED1234u, bytes + offset, n);
      CHECK(cairn::crc32cExtend(0x5EED1234u, bytes + offset, n) == byTable);
#if defined(__x86_64__)
      if (crc32c_detail::hasInstruction()) {
        CHECK(crc32c_detail::extendByInstruction(0x5EED1234u, bytes + offset, n) == byTable);
      }
#endif
    }
  }
  // A running checksum fed in pieces equals one pass.
  Crc32c running;
  running.process_bytes(data.data(), 7);
  running.process_bytes(data.data() + 7, 100);
  running.process_bytes(data.data() + 107, data.size() - 107);
  CHECK(running.checksum() == crc32c(data));
}

TEST_CASE("segment names round-trip and reject strangers", "[wal][name]") {
  CHECK(segmentName(1, 0x10) == "0000000000000001-0000000000000010.wal");
  uint64_t seq = 0, index = 0;
  REQUIRE(parseSegmentName("00000000000000ab-00000000000000cd.wal", &seq, &index));
  CHECK(seq == 0xab);
  CHECK(index == 0xcd);
  CHECK_FALSE(parseSegmentName("00000000000000ab-00000000000000cd.wal.tmp", &seq, &index));
  CHECK_FALSE(parseSegmentName("00000000000000AB-00000000000000cd.wal", &seq, &index));
  CHECK_FALSE(parseSegmentName("0000000000000ab-00000000000000cd.wal", &seq, &index));
  CHECK_FALSE(parseSegmentName("00000000000000ab_00000000000000cd.wal", &seq, &index));
}

TEST_CASE("records are framed, padded and decoded", "[wal][record]") {
  std::string buf;
  appendCrcRecord(&buf, 0x1234);
  uint32_t chain = 0x1234;
  appendRecord(&buf, RecordType::Metadata, "meta", &chain);
  appendRecord(&buf, RecordType::Entry, std::string(13, 'x'), &chain);
  CHECK(buf.size() % kRecordAlignment == 0);
  CHECK(buf.size() == framedSize(4) * 2 + framedSize(13));
  buf.append(64, '\0');  // preallocated tail

  SegmentDecoder dec("seg", buf, true, 0x1234u);
  Record rec;
  bool done = false;
  REQUIRE(dec.next(&rec, &done));
  REQUIRE_FALSE(done);
  CHECK(rec.type == RecordType::Metadata);
  CHECK(rec.payload == "meta");
  REQUIRE(dec.next(&rec, &done));
  REQUIRE_FALSE(done);
  CHECK(rec.type == RecordType::Entry);
  CHECK(rec.payload == std::string(13, 'x'));
  REQUIRE(dec.next(&rec, &done));
  CHECK(done);
  CHECK(dec.chain() == chain);
  CHECK(dec.validEnd() == buf.size() - 64);
  CHECK_FALSE(dec.repairedTail());
}

TEST_CASE("a record framed in place is byte for byte the appended one", "[wal][record]") {
  // Wal::save serializes entries straight into its buffer with frameRecord;
  // readers cannot tell it from appendRecord, whatever the padding.
  for (std::size_t size : {0u, 1u, 7u, 8u, 13u, 300u}) {
    const std::string payload(size, 'p');
    std::string appended = "head";
    uint32_t chainA = 77;
    appendRecord(&appended, RecordType::Entry, payload, &chainA);
    // A reused buffer: garbage past size() must not leak into the padding.
    std::string framed = std::string(64, '\xee');
    framed.assign("head");
    const uint32_t chainB = frameRecord(&framed, RecordType::Entry, size, 77, [&](char* out) {
      std::memcpy(out, payload.data(), size);
    });
    CHECK(framed == appended);
    CHECK(chainB == chainA);
  }
}

TEST_CASE("a broken crc chain between segments is data loss", "[wal][record]") {
  std::string buf;
  appendCrcRecord(&buf, 7);
  uint32_t chain = 7;
  appendRecord(&buf, RecordType::Metadata, "m", &chain);
  SegmentDecoder dec("seg-b", buf, false, 8u);
  Record rec;
  bool done = false;
  Status s = dec.next(&rec, &done);
  CHECK(s.code() == StatusCode::DataLoss);
  CHECK_THAT(s.message(), Catch::Contains("seg-b at offset 0"));
}

TEST_CASE("a segment not starting with a crc record is data loss", "[wal][record]") {
  std::string buf;
  uint32_t chain = 0;
  appendRecord(&buf, RecordType::Metadata, "m", &chain);
  SegmentDecoder dec("seg-c", buf, true, std::nullopt);
  Record rec;
  bool done = false;
  CHECK(dec.next(&rec, &done).code() == StatusCode::DataLoss);
}
