// The few pieces of protobuf's wire format that WatchStream::pollEncoded
// writes by hand: a response is assembled from events encoded once per
// revision (SharedEvents::encoded), which protobuf's generated code cannot
// do without copying each event back into a message first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::watch::wire {

inline constexpr uint32_t kVarint = 0;
inline constexpr uint32_t kLengthDelimited = 2;

inline std::size_t varintSize(uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void appendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline void appendTag(std::string* out, uint32_t field, uint32_t wireType) {
  appendVarint(out, (static_cast<uint64_t>(field) << 3) | wireType);
}

// A length-delimited field: tag, length, bytes.
inline void appendBytesField(std::string* out, uint32_t field, std::string_view bytes) {
  appendTag(out, field, kLengthDelimited);
  appendVarint(out, bytes.size());
  out->append(bytes);
}

}  // namespace cairn::watch::wire
