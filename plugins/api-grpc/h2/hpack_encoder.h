// HPACK (RFC 7541) encoding of the header blocks we send: response headers
// and trailers.
//
// One encoder per connection, since its dynamic table is connection state
// the peer's decoder mirrors. Only fields the caller marks as reused (the
// ones every gRPC answer repeats: "content-type: application/grpc",
// "grpc-status: 0") are entered in the table, the first time they go out;
// after that each costs one byte, and the peer's decoder takes it from its
// table instead of decoding (often Huffman-decoding) and allocating two
// strings per field per answer. grpc-go's server, etcd's, indexes the same
// way. Nothing is ever evicted by an insertion: a field goes in only when
// it fits whole, so the table's content changes only when the peer lowers
// SETTINGS_HEADER_TABLE_SIZE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "h2/frame.h"

namespace cairn::api::h2 {

// Appends `value` as an HPACK integer (RFC 7541 5.1) with a `prefixBits`-bit
// prefix (1..8); `flags` are the bits of the first byte above the prefix.
void encodeInteger(std::uint64_t value, int prefixBits, std::uint8_t flags, std::string* out);

// A header field to send. `reused`: it goes out on many answers of the
// connection with this exact value, so it is worth a dynamic table entry.
struct HeaderField {
  std::string_view name;
  std::string_view value;
  bool reused = false;
};

class HpackEncoder {
 public:
  // Appends one header field as a "literal header field without indexing"
  // (RFC 7541 6.2.2), using a static table index for the name when one
  // matches the name exactly (e.g. content-type = 31), Huffman-coding a
  // string only when that is shorter. Exception: ":status" with a value in
  // the static table ("200" etc.) is emitted fully indexed (6.1). Touches no
  // table: usable for any block, e.g. a client's request in tests.
  void encode(std::string_view name, std::string_view value, std::string* out) const;

  // Appends a whole header block, which must then be sent before any block
  // encoded after it (the peer's table follows ours in wire order): a table
  // size update first if one is owed, then each field, reused ones indexed
  // (6.1) once they are in the table and entered (6.2.1) while they fit.
  void encodeBlock(std::span<const HeaderField> fields, std::string* out);

  // The peer's SETTINGS_HEADER_TABLE_SIZE, as it applies to the blocks
  // encoded from now on. A value below the size we use shrinks the table
  // (oldest entries out, as the peer's decoder will evict them) and owes the
  // peer a size update at the start of the next block (RFC 7541 4.2). We
  // never grow it again on that connection.
  void setPeerTableSize(std::uint32_t size);

  // For tests: the table's entry count and RFC 7541 4.1 size.
  std::size_t entries() const { return table_.size(); }
  std::size_t tableSize() const { return size_; }

 private:
  struct Entry {
    std::string name;
    std::string value;
  };

  // The field's index in the dynamic table (62 = newest), or 0.
  std::size_t dynamicIndex(std::string_view name, std::string_view value) const;

  // Oldest first; only the encoder's owner thread touches it (the Session's
  // owner, under the connection's mutex).
  std::vector<Entry> table_;
  std::size_t size_ = 0;
  // Starts at the protocol's default; our reused fields need about a
  // hundred bytes, so a peer allowing more changes nothing.
  std::size_t capacity_ = kDefaultHeaderTableSize;
  bool sizeUpdateOwed_ = false;
};

}  // namespace cairn::api::h2
