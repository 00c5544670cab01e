#include "go_strings.h"

namespace cairn::apihttp {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

bool isHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hexValue(char c) {
  if ((c >= '0' && c <= '9')) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// The code unit of a \uXXXX escape at s[i], or -1 when there is none.
int32_t readU4(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int32_t v = 0;
  for (size_t k = 2; k < 6; ++k) {
    if (!isHexDigit(s[i + k])) return -1;
    v = v * 16 + hexValue(s[i + k]);
  }
  return v;
}

}  // namespace

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The length of the valid UTF-8 sequence at s[i], or 0 when the bytes there
// are not one (overlong forms, surrogates and values past U+10FFFF included),
// as Go's utf8.DecodeRune judges them.
size_t utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

// Go's unquoting of a string literal that the scanner accepted (quotes
// included): escapes resolved; a surrogate pair combined; a lone surrogate
// and each byte of invalid UTF-8 replaced by U+FFFD.
std::string goUnquote(std::string_view literal) {
  const std::string_view s = literal.substr(1, literal.size() - 2);
  std::string out;
  out.reserve(s.size());
  size_t r = 0;
  while (r < s.size()) {
    const char c = s[r];
    if (c == '\\') {
      const char e = s[r + 1];
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = static_cast<uint32_t>(readU4(s, r));
          r += 6;
          if (cp >= 0xD800 && cp < 0xE000) {
            const int32_t low = readU4(s, r);
            if (cp < 0xDC00 && low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
              r += 6;
            } else {
              cp = kReplacement;
            }
          }
          appendUtf8(out, cp);
          continue;
        }
        default:
          out += e;
          break;  // " \ /
      }
      r += 2;
    } else if (static_cast<unsigned char>(c) < 0x80) {
      out += c;
      ++r;
    } else if (size_t n = utf8SequenceLength(s, r); n > 0) {
      out.append(s.substr(r, n));
      r += n;
    } else {
      appendUtf8(out, kReplacement);
      ++r;
    }
  }
  return out;
}

std::string goQuote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const char* escape = nullptr;
    switch (c) {
      case '"':
        escape = "\\\"";
        break;
      case '\\':
        escape = "\\\\";
        break;
      case '\a':
        escape = "\\a";
        break;
      case '\b':
        escape = "\\b";
        break;
      case '\f':
        escape = "\\f";
        break;
      case '\n':
        escape = "\\n";
        break;
      case '\r':
        escape = "\\r";
        break;
      case '\t':
        escape = "\\t";
        break;
      case '\v':
        escape = "\\v";
        break;
      default:
        break;
    }
    if (escape != nullptr) {
      out += escape;
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (size_t n = utf8SequenceLength(s, i); n == 0) {
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];  // not UTF-8
      ++i;
    } else {
      // U+0080..U+009F, U+00A0 and U+00AD are not printable for Go; other
      // runes are taken as printable (Go's tables differ only in rare
      // unassigned or format characters).
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if (c == 0xC2 && (c1 < 0xA1 || c1 == 0xAD)) {
        out += std::string("\\u00") + kHex[c1 >> 4] + kHex[c1 & 15];
      } else {
        out.append(s.substr(i, n));
      }
      i += n;
    }
  }
  return out + "\"";
}

}  // namespace cairn::apihttp
