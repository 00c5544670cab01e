#include "h2/hpack_huffman.h"

#include <array>
#include <cstdint>

namespace cairn::api::h2 {
namespace {

struct Code {
  std::uint32_t bits;   // the code, right-aligned
  std::uint8_t length;  // in bits, 5..30
};

constexpr int kSymbolCount = 257;  // the 256 byte values, then EOS
constexpr int kEos = 256;
constexpr int kMaxLength = 30;

// RFC 7541 Appendix B, indexed by symbol (byte value; 256 is EOS). Normative
// data, generated from the RFC's table.
// clang-format off
constexpr std::array<Code, kSymbolCount> kCodes = {{
    /*   0 */ {0x1ff8, 13}, {0x7fffd8, 23}, {0xfffffe2, 28}, {0xfffffe3, 28},
    /*   4 */ {0xfffffe4, 28}, {0xfffffe5, 28}, {0xfffffe6, 28}, {0xfffffe7, 28},
    /*   8 */ {0xfffffe8, 28}, {0xffffea, 24}, {0x3ffffffc, 30}, {0xfffffe9, 28},
    /*  12 */ {0xfffffea, 28}, {0x3ffffffd, 30}, {0xfffffeb, 28}, {0xfffffec, 28},
    /*  16 */ {0xfffffed, 28}, {0xfffffee, 28}, {0xfffffef, 28}, {0xffffff0, 28},
    /*  20 */ {0xffffff1, 28}, {0xffffff2, 28}, {0x3ffffffe, 30}, {0xffffff3, 28},
    /*  24 */ {0xffffff4, 28}, {0xffffff5, 28}, {0xffffff6, 28}, {0xffffff7, 28},
    /*  28 */ {0xffffff8, 28}, {0xffffff9, 28}, {0xffffffa, 28}, {0xffffffb, 28},
    /*  32 */ {0x14, 6}, {0x3f8, 10}, {0x3f9, 10}, {0xffa, 12},
    /*  36 */ {0x1ff9, 13}, {0x15, 6}, {0xf8, 8}, {0x7fa, 11},
    /*  40 */ {0x3fa, 10}, {0x3fb, 10}, {0xf9, 8}, {0x7fb, 11},
    /*  44 */ {0xfa, 8}, {0x16, 6}, {0x17, 6}, {0x18, 6},
    /*  48 */ {0x0, 5}, {0x1, 5}, {0x2, 5}, {0x19, 6},
    /*  52 */ {0x1a, 6}, {0x1b, 6}, {0x1c, 6}, {0x1d, 6},
    /*  56 */ {0x1e, 6}, {0x1f, 6}, {0x5c, 7}, {0xfb, 8},
    /*  60 */ {0x7ffc, 15}, {0x20, 6}, {0xffb, 12}, {0x3fc, 10},
    /*  64 */ {0x1ffa, 13}, {0x21, 6}, {0x5d, 7}, {0x5e, 7},
    /*  68 */ {0x5f, 7}, {0x60, 7}, {0x61, 7}, {0x62, 7},
    /*  72 */ {0x63, 7}, {0x64, 7}, {0x65, 7}, {0x66, 7},
    /*  76 */ {0x67, 7}, {0x68, 7}, {0x69, 7}, {0x6a, 7},
    /*  80 */ {0x6b, 7}, {0x6c, 7}, {0x6d, 7}, {0x6e, 7},
    /*  84 */ {0x6f, 7}, {0x70, 7}, {0x71, 7}, {0x72, 7},
    /*  88 */ {0xfc, 8}, {0x73, 7}, {0xfd, 8}, {0x1ffb, 13},
    /*  92 */ {0x7fff0, 19}, {0x1ffc, 13}, {0x3ffc, 14}, {0x22, 6},
    /*  96 */ {0x7ffd, 15}, {0x3, 5}, {0x23, 6}, {0x4, 5},
    /* 100 */ {0x24, 6}, {0x5, 5}, {0x25, 6}, {0x26, 6},
    /* 104 */ {0x27, 6}, {0x6, 5}, {0x74, 7}, {0x75, 7},
    /* 108 */ {0x28, 6}, {0x29, 6}, {0x2a, 6}, {0x7, 5},
    /* 112 */ {0x2b, 6}, {0x76, 7}, {0x2c, 6}, {0x8, 5},
    /* 116 */ {0x9, 5}, {0x2d, 6}, {0x77, 7}, {0x78, 7},
    /* 120 */ {0x79, 7}, {0x7a, 7}, {0x7b, 7}, {0x7ffe, 15},
    /* 124 */ {0x7fc, 11}, {0x3ffd, 14}, {0x1ffd, 13}, {0xffffffc, 28},
    /* 128 */ {0xfffe6, 20}, {0x3fffd2, 22}, {0xfffe7, 20}, {0xfffe8, 20},
    /* 132 */ {0x3fffd3, 22}, {0x3fffd4, 22}, {0x3fffd5, 22}, {0x7fffd9, 23},
    /* 136 */ {0x3fffd6, 22}, {0x7fffda, 23}, {0x7fffdb, 23}, {0x7fffdc, 23},
    /* 140 */ {0x7fffdd, 23}, {0x7fffde, 23}, {0xffffeb, 24}, {0x7fffdf, 23},
    /* 144 */ {0xffffec, 24}, {0xffffed, 24}, {0x3fffd7, 22}, {0x7fffe0, 23},
    /* 148 */ {0xffffee, 24}, {0x7fffe1, 23}, {0x7fffe2, 23}, {0x7fffe3, 23},
    /* 152 */ {0x7fffe4, 23}, {0x1fffdc, 21}, {0x3fffd8, 22}, {0x7fffe5, 23},
    /* 156 */ {0x3fffd9, 22}, {0x7fffe6, 23}, {0x7fffe7, 23}, {0xffffef, 24},
    /* 160 */ {0x3fffda, 22}, {0x1fffdd, 21}, {0xfffe9, 20}, {0x3fffdb, 22},
    /* 164 */ {0x3fffdc, 22}, {0x7fffe8, 23}, {0x7fffe9, 23}, {0x1fffde, 21},
    /* 168 */ {0x7fffea, 23}, {0x3fffdd, 22}, {0x3fffde, 22}, {0xfffff0, 24},
    /* 172 */ {0x1fffdf, 21}, {0x3fffdf, 22}, {0x7fffeb, 23}, {0x7fffec, 23},
    /* 176 */ {0x1fffe0, 21}, {0x1fffe1, 21}, {0x3fffe0, 22}, {0x1fffe2, 21},
    /* 180 */ {0x7fffed, 23}, {0x3fffe1, 22}, {0x7fffee, 23}, {0x7fffef, 23},
    /* 184 */ {0xfffea, 20}, {0x3fffe2, 22}, {0x3fffe3, 22}, {0x3fffe4, 22},
    /* 188 */ {0x7ffff0, 23}, {0x3fffe5, 22}, {0x3fffe6, 22}, {0x7ffff1, 23},
    /* 192 */ {0x3ffffe0, 26}, {0x3ffffe1, 26}, {0xfffeb, 20}, {0x7fff1, 19},
    /* 196 */ {0x3fffe7, 22}, {0x7ffff2, 23}, {0x3fffe8, 22}, {0x1ffffec, 25},
    /* 200 */ {0x3ffffe2, 26}, {0x3ffffe3, 26}, {0x3ffffe4, 26}, {0x7ffffde, 27},
    /* 204 */ {0x7ffffdf, 27}, {0x3ffffe5, 26}, {0xfffff1, 24}, {0x1ffffed, 25},
    /* 208 */ {0x7fff2, 19}, {0x1fffe3, 21}, {0x3ffffe6, 26}, {0x7ffffe0, 27},
    /* 212 */ {0x7ffffe1, 27}, {0x3ffffe7, 26}, {0x7ffffe2, 27}, {0xfffff2, 24},
    /* 216 */ {0x1fffe4, 21}, {0x1fffe5, 21}, {0x3ffffe8, 26}, {0x3ffffe9, 26},
    /* 220 */ {0xffffffd, 28}, {0x7ffffe3, 27}, {0x7ffffe4, 27}, {0x7ffffe5, 27},
    /* 224 */ {0xfffec, 20}, {0xfffff3, 24}, {0xfffed, 20}, {0x1fffe6, 21},
    /* 228 */ {0x3fffe9, 22}, {0x1fffe7, 21}, {0x1fffe8, 21}, {0x7ffff3, 23},
    /* 232 */ {0x3fffea, 22}, {0x3fffeb, 22}, {0x1ffffee, 25}, {0x1ffffef, 25},
    /* 236 */ {0xfffff4, 24}, {0xfffff5, 24}, {0x3ffffea, 26}, {0x7ffff4, 23},
    /* 240 */ {0x3ffffeb, 26}, {0x7ffffe6, 27}, {0x3ffffec, 26}, {0x3ffffed, 26},
    /* 244 */ {0x7ffffe7, 27}, {0x7ffffe8, 27}, {0x7ffffe9, 27}, {0x7ffffea, 27},
    /* 248 */ {0x7ffffeb, 27}, {0xffffffe, 28}, {0x7ffffec, 27}, {0x7ffffed, 27},
    /* 252 */ {0x7ffffee, 27}, {0x7ffffef, 27}, {0x7fffff0, 27}, {0x3ffffee, 26},
    /* 256 */ {0x3fffffff, 30},
}};
// clang-format on

// The code is canonical: codes of one length are consecutive integers, and
// the first code of a length follows the last one of the length before, shifted
// left. So a window of the next 30 bits decodes by finding the shortest length
// whose prefix is below that length's limit, and the symbol is an offset into
// the symbols sorted by code. A 9-bit lookup table resolves the common case
// (every code of up to 9 bits: all letters, digits and most punctuation) in
// one step; only rarer symbols take the per-length loop.
constexpr int kFastBits = 9;

struct DecodeTables {
  std::array<std::uint32_t, kMaxLength + 1> first{};   // first code of each length
  std::array<std::uint32_t, kMaxLength + 1> limit{};   // first + count
  std::array<std::uint16_t, kMaxLength + 1> offset{};  // of the first code in `sorted`
  std::array<std::uint16_t, kSymbolCount> sorted{};    // symbols in code order
  // For each 9-bit prefix: symbol << 4 | length if a code of up to 9 bits
  // starts it, else 0 (no symbol has an empty code, so 0 is free).
  std::array<std::uint16_t, 1 << kFastBits> fast{};
  bool valid = true;  // the table is canonical and complete; checked at compile time
};

constexpr DecodeTables buildDecodeTables() {
  DecodeTables t;
  std::array<int, kMaxLength + 1> count{};
  for (const Code& c : kCodes) ++count[c.length];
  std::uint32_t code = 0;
  std::uint16_t offset = 0;
  for (int len = 1; len <= kMaxLength; ++len) {
    t.first[len] = code;
    t.limit[len] = code + count[len];
    t.offset[len] = offset;
    offset += count[len];
    code = (code + count[len]) << 1;
  }
  // A complete code uses up the whole space: the code after the last
  // 30-bit one is 2^30.
  if ((code >> 1) != (1u << kMaxLength)) t.valid = false;
  for (int sym = 0; sym < kSymbolCount; ++sym) {
    const Code& c = kCodes[sym];
    if (c.bits < t.first[c.length] || c.bits >= t.limit[c.length]) {
      t.valid = false;
      continue;
    }
    t.sorted[t.offset[c.length] + (c.bits - t.first[c.length])] = sym;
    if (c.length <= kFastBits) {
      const int spare = kFastBits - c.length;
      const std::uint32_t base = c.bits << spare;
      for (std::uint32_t i = 0; i < (1u << spare); ++i) {
        t.fast[base + i] = static_cast<std::uint16_t>(sym << 4 | c.length);
      }
    }
  }
  return t;
}

constexpr DecodeTables kDecode = buildDecodeTables();
static_assert(kDecode.valid, "the RFC 7541 Huffman code must be canonical and complete");

constexpr std::uint32_t kWindowMask = (1u << kMaxLength) - 1;

}  // namespace

bool huffmanDecode(std::string_view in, std::string* out) {
  // Every code is at least 5 bits, which bounds the output; writing into a
  // buffer sized once avoids a capacity check per symbol.
  const std::size_t start = out->size();
  out->resize(start + in.size() * 8 / 5);
  char* const base = out->data();
  char* dst = base + start;
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t pos = 0;
  // The low `bits` bits of `acc` are the unread input; bits above are stale.
  std::uint64_t acc = 0;
  int bits = 0;
  for (;;) {
    while (bits <= 56 && pos < n) {
      acc = acc << 8 | src[pos++];
      bits += 8;
    }
    if (bits == 0) break;
    std::uint32_t window;
    if (bits >= kMaxLength) {
      window = static_cast<std::uint32_t>(acc >> (bits - kMaxLength)) & kWindowMask;
    } else {
      // Only at the end of the input. Filling the window with ones makes the
      // padding read as a prefix of EOS (all ones), so a code that fits in
      // the real bits is data and one that needs the fill is not.
      const int fill = kMaxLength - bits;
      window = static_cast<std::uint32_t>(acc << fill | ((1u << fill) - 1)) & kWindowMask;
      if (window == kWindowMask && bits <= 7) break;  // valid padding
    }
    int length;
    int symbol;
    if (const std::uint16_t hit = kDecode.fast[window >> (kMaxLength - kFastBits)]; hit != 0) {
      length = hit & 0xf;
      symbol = hit >> 4;
    } else {
      length = kFastBits + 1;
      std::uint32_t code = window >> (kMaxLength - length);
      // The code is complete, so some length up to 30 always matches.
      while (code >= kDecode.limit[length]) {
        ++length;
        code = window >> (kMaxLength - length);
      }
      symbol = kDecode.sorted[kDecode.offset[length] + (code - kDecode.first[length])];
    }
    // A code longer than what is left is a truncated code or padding that is
    // too long or not all ones; EOS must never appear in a string.
    if (length > bits || symbol == kEos) {
      out->resize(start);
      return false;
    }
    *dst++ = static_cast<char>(symbol);
    bits -= length;
  }
  out->resize(static_cast<std::size_t>(dst - base));
  return true;
}

void huffmanEncode(std::string_view in, std::string* out) {
  const std::size_t start = out->size();
  out->resize(start + huffmanEncodedLength(in));
  char* dst = out->data() + start;
  // At most 7 bits wait in `acc` between symbols, so adding one 30-bit code
  // always fits in 64 bits.
  std::uint64_t acc = 0;
  int bits = 0;
  for (const char ch : in) {
    const Code& c = kCodes[static_cast<unsigned char>(ch)];
    acc = acc << c.length | c.bits;
    bits += c.length;
    while (bits >= 8) {
      bits -= 8;
      *dst++ = static_cast<char>(acc >> bits);
    }
  }
  if (bits > 0) {
    // Pad with the most significant bits of EOS, i.e. ones (RFC 7541 5.2).
    *dst++ = static_cast<char>(acc << (8 - bits) | (0xffu >> bits));
  }
}

std::size_t huffmanEncodedLength(std::string_view in) {
  std::size_t totalBits = 0;
  for (const char ch : in) totalBits += kCodes[static_cast<unsigned char>(ch)].length;
  return (totalBits + 7) / 8;
}

}  // namespace cairn::api::h2
