// HPACK (RFC 7541) encoding of the header blocks we send: response headers
// and trailers. It never uses the dynamic table, which makes it stateless:
// the peer's SETTINGS_HEADER_TABLE_SIZE never matters, no table size update
// is ever needed, and nothing has to be kept in step across streams. gRPC
// responses carry a handful of short fields, so the table would save little.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::api::h2 {

// Appends `value` as an HPACK integer (RFC 7541 5.1) with a `prefixBits`-bit
// prefix (1..8); `flags` are the bits of the first byte above the prefix.
void encodeInteger(std::uint64_t value, int prefixBits, std::uint8_t flags, std::string* out);

class HpackEncoder {
 public:
  // Appends one header field to `out` as a "literal header field without
  // indexing" (RFC 7541 6.2.2), using a static table index for the name when
  // one matches the name exactly (e.g. content-type = 31), Huffman-coding a
  // string only when that is shorter. Exception: ":status" with a value in
  // the static table ("200" etc.) is emitted fully indexed (6.1).
  void encode(std::string_view name, std::string_view value, std::string* out) const;
};

}  // namespace cairn::api::h2
