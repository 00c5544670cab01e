#include "h2/hpack_encoder.h"

#include "h2/hpack_decoder.h"
#include "h2/hpack_huffman.h"

namespace cairn::api::h2 {
namespace {

// The static table's range of ":status" entries (8..14).
constexpr std::size_t kFirstStatus = 8;
constexpr std::size_t kLastStatus = 14;

// The first static index with this name, or 0. A linear scan: string_view
// equality rejects on length first, and responses have few fields.
std::size_t staticNameIndex(std::string_view name) {
  for (std::size_t i = 0; i < kStaticTable.size(); ++i) {
    if (kStaticTable[i].name == name) return i + 1;
  }
  return 0;
}

// RFC 7541 5.2, choosing Huffman only when it is strictly shorter: equal
// lengths would cost the peer a decode for nothing.
void encodeString(std::string_view s, std::string* out) {
  const std::size_t huffmanLength = huffmanEncodedLength(s);
  if (huffmanLength < s.size()) {
    encodeInteger(huffmanLength, 7, 0x80, out);
    huffmanEncode(s, out);
  } else {
    encodeInteger(s.size(), 7, 0x00, out);
    out->append(s);
  }
}

}  // namespace

void encodeInteger(std::uint64_t value, int prefixBits, std::uint8_t flags, std::string* out) {
  const std::uint64_t mask = (1u << prefixBits) - 1;
  if (value < mask) {
    out->push_back(static_cast<char>(flags | value));
    return;
  }
  out->push_back(static_cast<char>(flags | mask));
  value -= mask;
  while (value >= 0x80) {
    out->push_back(static_cast<char>(0x80 | (value & 0x7f)));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void HpackEncoder::encode(std::string_view name, std::string_view value, std::string* out) const {
  if (name == ":status") {
    // Every gRPC response starts with ":status: 200": one byte.
    for (std::size_t i = kFirstStatus; i <= kLastStatus; ++i) {
      if (kStaticTable[i - 1].value == value) {
        encodeInteger(i, 7, 0x80, out);
        return;
      }
    }
  }
  // 6.2.2: a 0000 pattern and the name's index in a 4-bit prefix, or index 0
  // and the name as a literal.
  const std::size_t nameIndex = staticNameIndex(name);
  encodeInteger(nameIndex, 4, 0x00, out);
  if (nameIndex == 0) encodeString(name, out);
  encodeString(value, out);
}

}  // namespace cairn::api::h2
