// HPACK (RFC 7541) decoding of the header blocks a client sends: one decoder
// per connection, since the dynamic table is connection state that every
// block after the first may refer to.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "h2/frame.h"
#include "h2/header_list.h"

namespace cairn::api::h2 {

// RFC 7541 4.1: a dynamic table entry's size is its name and value plus 32,
// on either side of the connection.
inline constexpr std::size_t kEntryOverhead = 32;

struct StaticTableEntry {
  std::string_view name;
  std::string_view value;
};

// RFC 7541 Appendix A. HPACK indexes from 1, so index i is kStaticTable[i - 1];
// the encoder needs it as well.
inline constexpr std::array<StaticTableEntry, 61> kStaticTable = {{
    {":authority", ""},
    {":method", "GET"},
    {":method", "POST"},
    {":path", "/"},
    {":path", "/index.html"},
    {":scheme", "http"},
    {":scheme", "https"},
    {":status", "200"},
    {":status", "204"},
    {":status", "206"},
    {":status", "304"},
    {":status", "400"},
    {":status", "404"},
    {":status", "500"},
    {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"},
    {"accept-language", ""},
    {"accept-ranges", ""},
    {"accept", ""},
    {"access-control-allow-origin", ""},
    {"age", ""},
    {"allow", ""},
    {"authorization", ""},
    {"cache-control", ""},
    {"content-disposition", ""},
    {"content-encoding", ""},
    {"content-language", ""},
    {"content-length", ""},
    {"content-location", ""},
    {"content-range", ""},
    {"content-type", ""},
    {"cookie", ""},
    {"date", ""},
    {"etag", ""},
    {"expect", ""},
    {"expires", ""},
    {"from", ""},
    {"host", ""},
    {"if-match", ""},
    {"if-modified-since", ""},
    {"if-none-match", ""},
    {"if-range", ""},
    {"if-unmodified-since", ""},
    {"last-modified", ""},
    {"link", ""},
    {"location", ""},
    {"max-forwards", ""},
    {"proxy-authenticate", ""},
    {"proxy-authorization", ""},
    {"range", ""},
    {"referer", ""},
    {"refresh", ""},
    {"retry-after", ""},
    {"server", ""},
    {"set-cookie", ""},
    {"strict-transport-security", ""},
    {"transfer-encoding", ""},
    {"user-agent", ""},
    {"vary", ""},
    {"via", ""},
    {"www-authenticate", ""},
}};

// Reads an HPACK integer (RFC 7541 5.1) with a `prefixBits`-bit prefix (1..8)
// from the front of *in, ignoring the flag bits above the prefix, and removes
// its bytes from *in. False if *in ends first, or if the value would exceed
// 2^31 - 1 or take more than 5 continuation bytes: no length or index of
// ours comes near that, and the cap keeps a hostile peer from overflowing.
bool decodeInteger(std::string_view* in, int prefixBits, std::uint32_t* value);

class HpackDecoder {
 public:
  // maxTableSize: the SETTINGS_HEADER_TABLE_SIZE we advertised (4096 by
  // default). The dynamic table starts at that size, and a dynamic table size
  // update above it is a decoding error. (A peer that has not yet seen a
  // smaller advertised value may still use 4096; advertising at least 4096
  // avoids that race.)
  // maxHeaderListSize: the limit on the decoded list (RFC 7540 6.5.2
  // accounting: name + value + 32 per field).
  explicit HpackDecoder(std::size_t maxTableSize = kDefaultHeaderTableSize,
                        std::size_t maxHeaderListSize = 16 << 20);

  enum class Result {
    Ok,
    // The list exceeds maxHeaderListSize. The whole block was still decoded,
    // so the dynamic table stays in step with the peer's and the connection
    // can go on; *out is left as it was, and the stream gets an error.
    TooLarge,
    // COMPRESSION_ERROR: the connection must end. The decoder is unusable
    // afterwards (every later call returns Error); *out is left as it was.
    Error,
  };

  // Decodes one complete header block (HEADERS + CONTINUATION payloads
  // joined), appending its fields to *out.
  Result decode(std::string_view block, HeaderList* out);

 private:
  struct Entry {
    std::string name;
    std::string value;
  };

  // Resolves an index of the static or dynamic table (RFC 7541 2.3.3); false
  // for 0 or past the end. The views into the dynamic table are valid until
  // the next insertion.
  bool lookup(std::uint32_t index, std::string_view* name, std::string_view* value) const;
  // Reads a string literal (RFC 7541 5.2) from the front of *in. A raw string
  // is viewed in place; a Huffman-coded one is decoded into *scratch.
  bool readString(std::string_view* in, std::string* scratch, std::string_view* str) const;
  void insert(std::string_view name, std::string_view value);
  void evictUntil(std::size_t size);
  void grow();
  Entry& slot(std::size_t i) { return ring_[i & (ring_.size() - 1)]; }
  const Entry& slot(std::size_t i) const { return ring_[i & (ring_.size() - 1)]; }

  std::size_t maxTableSize_;
  std::size_t maxHeaderListSize_;
  std::size_t capacity_;  // the table size the peer's encoder chose, <= maxTableSize_
  std::size_t size_ = 0;  // sum of the entries' sizes (name + value + 32)
  // The dynamic table as a ring of entries, oldest at oldest_, newest at
  // oldest_ + count_ - 1. A power-of-two number of slots, grown on demand;
  // slots keep their strings' buffers once evicted, so a steady stream of
  // insertions does not allocate.
  std::vector<Entry> ring_;
  std::size_t oldest_ = 0;
  std::size_t count_ = 0;
  // Reused buffers for Huffman-decoded strings and for a name copied out of
  // the dynamic table before an insertion may evict it.
  std::string nameScratch_;
  std::string valueScratch_;
  bool broken_ = false;
};

}  // namespace cairn::api::h2
