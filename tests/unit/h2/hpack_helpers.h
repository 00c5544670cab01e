// Helpers of the HPACK tests (hpack_test.cpp, hpack_robustness_test.cpp):
// hex strings, decoding that must succeed, literal field encodings, a look
// at the dynamic table, and Catch2 printing of a Header.
#pragma once

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "h2/hpack_decoder.h"
#include "h2/hpack_encoder.h"
#include "h2/hpack_huffman.h"

namespace cairn::api::h2 {

// For REQUIRE comparisons of decoded lists; found by argument-dependent lookup.
inline bool operator==(const Header& a, const Header& b) {
  return a.name == b.name && a.value == b.value;
}

}  // namespace cairn::api::h2

namespace Catch {
template <>
struct StringMaker<cairn::api::h2::Header> {
  static std::string convert(const cairn::api::h2::Header& h) {
    return "{\"" + h.name + "\", \"" + h.value + "\"}";
  }
};
}  // namespace Catch

using cairn::api::h2::decodeInteger;
using cairn::api::h2::encodeInteger;
using cairn::api::h2::Header;
using cairn::api::h2::HeaderList;
using cairn::api::h2::HpackDecoder;
using cairn::api::h2::HpackEncoder;
using cairn::api::h2::huffmanDecode;
using cairn::api::h2::huffmanEncode;
using cairn::api::h2::huffmanEncodedLength;
using Result = HpackDecoder::Result;
using Headers = std::vector<Header>;

namespace cairn::api::h2::testing {

// The RFC prints blocks as hex with spaces and line breaks.
inline std::string dehex(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (const char c : hex) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      continue;
    }
    if (pending < 0) {
      pending = digit;
    } else {
      out.push_back(static_cast<char>(pending << 4 | digit));
      pending = -1;
    }
  }
  REQUIRE(pending < 0);
  return out;
}

inline Headers decodeOk(HpackDecoder& decoder, std::string_view block) {
  HeaderList out;
  REQUIRE(decoder.decode(block, &out) == Result::Ok);
  return out.toVector();
}

inline Result decodeResult(HpackDecoder& decoder, std::string_view block) {
  HeaderList out;
  return decoder.decode(block, &out);
}

inline std::string indexed(std::uint32_t index) {
  std::string out;
  encodeInteger(index, 7, 0x80, &out);
  return out;
}

// The dynamic table is checked through decoding alone, on a copy so the
// probe's error past the end leaves the decoder under test untouched:
// indexes 62.. give `expected` (newest first) and the next index is an error.
inline void requireDynamicTable(const HpackDecoder& decoder, const Headers& expected) {
  // One block per index, so a small header list limit does not get in the way.
  HpackDecoder probe = decoder;
  Headers got;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    for (const Header& h : decodeOk(probe, indexed(62 + i))) got.push_back(h);
  }
  CHECK(got == expected);
  HpackDecoder past = decoder;
  CHECK(decodeResult(past, indexed(62 + expected.size())) == Result::Error);
}

inline std::string randomBytes(std::mt19937& rng, std::size_t length) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(length, '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

}  // namespace cairn::api::h2::testing
