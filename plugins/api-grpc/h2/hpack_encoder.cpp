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

std::size_t HpackEncoder::dynamicIndex(std::string_view name, std::string_view value) const {
  for (std::size_t i = 0; i < table_.size(); ++i) {
    const Entry& e = table_[i];
    if (e.name == name && e.value == value) return kStaticTable.size() + table_.size() - i;
  }
  return 0;
}

void HpackEncoder::encodeBlock(std::span<const HeaderField> fields, std::string* out) {
  if (sizeUpdateOwed_) {
    // 6.3: 001 and the new maximum in a 5-bit prefix.
    encodeInteger(capacity_, 5, 0x20, out);
    sizeUpdateOwed_ = false;
  }
  for (const HeaderField& f : fields) {
    if (!f.reused) {
      encode(f.name, f.value, out);
      continue;
    }
    if (const std::size_t index = dynamicIndex(f.name, f.value); index != 0) {
      encodeInteger(index, 7, 0x80, out);
      continue;
    }
    const std::size_t entrySize = f.name.size() + f.value.size() + kEntryOverhead;
    if (size_ + entrySize > capacity_) {
      // It would evict what the table holds: leave the table as it is.
      encode(f.name, f.value, out);
      continue;
    }
    // 6.2.1: 01 and the name's static index in a 6-bit prefix, or index 0
    // and the name as a literal.
    const std::size_t nameIndex = staticNameIndex(f.name);
    encodeInteger(nameIndex, 6, 0x40, out);
    if (nameIndex == 0) encodeString(f.name, out);
    encodeString(f.value, out);
    table_.push_back(Entry{std::string(f.name), std::string(f.value)});
    size_ += entrySize;
  }
}

void HpackEncoder::setPeerTableSize(std::uint32_t size) {
  if (size >= capacity_) return;
  capacity_ = size;
  sizeUpdateOwed_ = true;
  // 4.3: the decoder evicts from the oldest end until the table fits.
  std::size_t evict = 0;
  while (size_ > capacity_) {
    const Entry& e = table_[evict++];
    size_ -= e.name.size() + e.value.size() + kEntryOverhead;
  }
  table_.erase(table_.begin(), table_.begin() + static_cast<std::ptrdiff_t>(evict));
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
