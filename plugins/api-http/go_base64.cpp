#include "go_base64.h"

#include <array>
#include <cstdint>

namespace cairn::apihttp {
namespace {

constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> decodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}

constexpr std::array<uint8_t, 256> kTable = decodeTable();

bool isNewline(char c) {
  return c == '\n' || c == '\r';
}

}  // namespace

bool goBase64Decode(std::string_view src, std::string* out, std::string* error) {
  out->clear();
  out->reserve(src.size() / 4 * 3 + 3);
  const auto corrupt = [&](size_t offset) {
    *error = "illegal base64 data at input byte " + std::to_string(offset);
    return false;
  };
  size_t si = 0;
  // One quantum (up to four symbols) at a time, in the order Go checks them.
  while (si < src.size()) {
    uint8_t symbols[4] = {0, 0, 0, 0};
    size_t count = 4;  // symbols in this quantum
    bool trailing = false;
    for (size_t j = 0; j < 4; ++j) {
      if (si == src.size()) {
        if (j == 0) return true;
        return corrupt(si - j);  // a partial quantum: padding was required
      }
      const char in = src[si++];
      const uint8_t value = kTable[static_cast<unsigned char>(in)];
      if (value != kInvalid) {
        symbols[j] = value;
        continue;
      }
      if (isNewline(in)) {
        --j;
        continue;
      }
      if (in != '=') return corrupt(si - 1);
      if (j < 2) return corrupt(si - 1);  // padding too early
      if (j == 2) {
        while (si < src.size() && isNewline(src[si])) ++si;
        if (si == src.size()) return corrupt(src.size());  // one '=' of two
        if (src[si] != '=') return corrupt(si - 1);
        ++si;
      }
      while (si < src.size() && isNewline(src[si])) ++si;
      trailing = si < src.size();
      count = j;
      break;
    }
    const uint32_t v = (uint32_t{symbols[0]} << 18) | (uint32_t{symbols[1]} << 12) |
                       (uint32_t{symbols[2]} << 6) | uint32_t{symbols[3]};
    out->push_back(static_cast<char>(v >> 16));
    if (count >= 3) out->push_back(static_cast<char>((v >> 8) & 0xFF));
    if (count == 4) out->push_back(static_cast<char>(v & 0xFF));
    if (trailing) return corrupt(si);
  }
  return true;
}

}  // namespace cairn::apihttp
