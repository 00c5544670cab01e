// HPACK: the RFC 7541 Appendix C examples byte for byte, the Huffman code
// over every byte value, the malformed inputs a hostile peer can send, and
// our encoder's output read back by our decoder.
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
bool operator==(const Header& a, const Header& b) {
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
using cairn::api::h2::HpackDecoder;
using cairn::api::h2::HpackEncoder;
using cairn::api::h2::huffmanDecode;
using cairn::api::h2::huffmanEncode;
using cairn::api::h2::huffmanEncodedLength;
using Result = HpackDecoder::Result;
using Headers = std::vector<Header>;

namespace {

// The RFC prints blocks as hex with spaces and line breaks.
std::string dehex(std::string_view hex) {
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

Headers decodeOk(HpackDecoder& decoder, std::string_view block) {
  Headers out;
  REQUIRE(decoder.decode(block, &out) == Result::Ok);
  return out;
}

Result decodeResult(HpackDecoder& decoder, std::string_view block) {
  Headers out;
  return decoder.decode(block, &out);
}

std::string indexed(std::uint32_t index) {
  std::string out;
  encodeInteger(index, 7, 0x80, &out);
  return out;
}

// The dynamic table is checked through decoding alone, on a copy so the
// probe's error past the end leaves the decoder under test untouched:
// indexes 62.. give `expected` (newest first) and the next index is an error.
void requireDynamicTable(const HpackDecoder& decoder, const Headers& expected) {
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

std::string randomBytes(std::mt19937& rng, std::size_t length) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(length, '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

}  // namespace

// --- C.1 integers ---------------------------------------------------------

TEST_CASE("C.1 integer representation", "[hpack]") {
  struct Example {
    std::uint32_t value;
    int prefixBits;
    std::string encoded;
  };
  const std::vector<Example> examples = {
      {10, 5, dehex("0a")},        // C.1.1
      {1337, 5, dehex("1f9a0a")},  // C.1.2
      {42, 8, dehex("2a")},        // C.1.3
      {30, 5, dehex("1e")},        // one below the prefix maximum
      {31, 5, dehex("1f00")},      // exactly the prefix maximum
      {0x7fffffff, 7, dehex("7f80ffffff07")},
  };
  for (const Example& e : examples) {
    std::string out;
    encodeInteger(e.value, e.prefixBits, 0, &out);
    CHECK(out == e.encoded);

    std::string_view in = e.encoded;
    std::uint32_t value = 0;
    REQUIRE(decodeInteger(&in, e.prefixBits, &value));
    CHECK(value == e.value);
    CHECK(in.empty());
  }

  // Flag bits above the prefix are the representation's, not the integer's.
  std::string flagged;
  encodeInteger(1337, 5, 0xe0, &flagged);
  CHECK(flagged == dehex("ff9a0a"));
  std::string_view in = flagged;
  std::uint32_t value = 0;
  REQUIRE(decodeInteger(&in, 5, &value));
  CHECK(value == 1337);

  // Only the integer's bytes are consumed.
  std::string withTail = dehex("1f9a0a") + "xyz";
  in = withTail;
  REQUIRE(decodeInteger(&in, 5, &value));
  CHECK(in == "xyz");
}

TEST_CASE("Integers that end early or overflow are rejected", "[hpack]") {
  struct Bad {
    const char* what;
    int prefixBits;
    std::string bytes;
  };
  const std::vector<Bad> bad = {
      {"nothing at all", 5, ""},
      {"continuation expected", 5, dehex("1f")},
      {"continuation bit set on the last byte", 5, dehex("1f9a")},
      {"2^31, one past the cap", 7, dehex("7f81ffffff07")},
      {"far past 2^31", 7, dehex("7fffffffffff0f")},
      {"six continuation bytes, small value", 5, dehex("1f808080808000")},
  };
  std::uint32_t value = 0;
  for (const Bad& b : bad) {
    INFO(b.what);
    std::string_view in = b.bytes;
    CHECK_FALSE(decodeInteger(&in, b.prefixBits, &value));
  }
  // Five continuation bytes are still fine when the value is in range.
  const std::string fiveContinuations = dehex("1f8080808000");
  std::string_view in = fiveContinuations;
  REQUIRE(decodeInteger(&in, 5, &value));
  CHECK(value == 31);
}

// --- C.2 header field representations ------------------------------------

TEST_CASE("C.2 header field representations", "[hpack]") {
  SECTION("C.2.1 literal header field with indexing") {
    HpackDecoder d;
    CHECK(decodeOk(d, dehex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")) ==
          Headers{{"custom-key", "custom-header"}});
    requireDynamicTable(d, {{"custom-key", "custom-header"}});
  }
  SECTION("C.2.2 literal header field without indexing") {
    HpackDecoder d;
    CHECK(decodeOk(d, dehex("040c 2f73 616d 706c 652f 7061 7468")) ==
          Headers{{":path", "/sample/path"}});
    requireDynamicTable(d, {});
  }
  SECTION("C.2.3 literal header field never indexed") {
    HpackDecoder d;
    CHECK(decodeOk(d, dehex("1008 7061 7373 776f 7264 0673 6563 7265 74")) ==
          Headers{{"password", "secret"}});
    requireDynamicTable(d, {});
  }
  SECTION("C.2.4 indexed header field") {
    HpackDecoder d;
    CHECK(decodeOk(d, dehex("82")) == Headers{{":method", "GET"}});
    requireDynamicTable(d, {});
  }
}

// --- C.3 / C.4 requests ---------------------------------------------------

namespace {

const Headers kRequest1 = {
    {":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}};
const Headers kRequest2 = {{":method", "GET"},
                           {":scheme", "http"},
                           {":path", "/"},
                           {":authority", "www.example.com"},
                           {"cache-control", "no-cache"}};
const Headers kRequest3 = {{":method", "GET"},
                           {":scheme", "https"},
                           {":path", "/index.html"},
                           {":authority", "www.example.com"},
                           {"custom-key", "custom-value"}};

// The three requests on one connection: each block after the first refers to
// the entries the earlier ones added.
void checkRequests(const std::string& block1, const std::string& block2,
                   const std::string& block3) {
  HpackDecoder d;
  CHECK(decodeOk(d, block1) == kRequest1);
  requireDynamicTable(d, {{":authority", "www.example.com"}});  // size 57
  CHECK(decodeOk(d, block2) == kRequest2);
  requireDynamicTable(d, {{"cache-control", "no-cache"}, {":authority", "www.example.com"}});
  CHECK(decodeOk(d, block3) == kRequest3);
  requireDynamicTable(d, {{"custom-key", "custom-value"},
                          {"cache-control", "no-cache"},
                          {":authority", "www.example.com"}});  // size 164
}

}  // namespace

TEST_CASE("C.3 requests without Huffman coding", "[hpack]") {
  checkRequests(dehex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"),
                dehex("8286 84be 5808 6e6f 2d63 6163 6865"),
                dehex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"));
}

TEST_CASE("C.4 requests with Huffman coding", "[hpack]") {
  checkRequests(dehex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
                dehex("8286 84be 5886 a8eb 1064 9cbf"),
                dehex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"));
}

// --- C.5 / C.6 responses, with evictions ----------------------------------

namespace {

const std::string kDate1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const std::string kDate2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const std::string kLocation = "https://www.example.com";
const std::string kCookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

// SETTINGS_HEADER_TABLE_SIZE is 256 in these examples, so the table starts
// at 256 bytes and later entries push earlier ones out.
void checkResponses(const std::string& block1, const std::string& block2,
                    const std::string& block3) {
  HpackDecoder d(256);
  CHECK(decodeOk(d, block1) == Headers{{":status", "302"},
                                       {"cache-control", "private"},
                                       {"date", kDate1},
                                       {"location", kLocation}});
  requireDynamicTable(d, {{"location", kLocation},
                          {"date", kDate1},
                          {"cache-control", "private"},
                          {":status", "302"}});  // size 222

  // ":status: 307" evicts ":status: 302".
  CHECK(decodeOk(d, block2) == Headers{{":status", "307"},
                                       {"cache-control", "private"},
                                       {"date", kDate1},
                                       {"location", kLocation}});
  requireDynamicTable(d, {{":status", "307"},
                          {"location", kLocation},
                          {"date", kDate1},
                          {"cache-control", "private"}});  // size 222

  CHECK(decodeOk(d, block3) == Headers{{":status", "200"},
                                       {"cache-control", "private"},
                                       {"date", kDate2},
                                       {"location", kLocation},
                                       {"content-encoding", "gzip"},
                                       {"set-cookie", kCookie}});
  requireDynamicTable(
      d, {{"set-cookie", kCookie}, {"content-encoding", "gzip"}, {"date", kDate2}});  // size 215
}

}  // namespace

TEST_CASE("C.5 responses without Huffman coding", "[hpack]") {
  checkResponses(dehex(R"(4803 3330 3258 0770 7269 7661 7465 611d
                          4d6f 6e2c 2032 3120 4f63 7420 3230 3133
                          2032 303a 3133 3a32 3120 474d 546e 1768
                          7474 7073 3a2f 2f77 7777 2e65 7861 6d70
                          6c65 2e63 6f6d)"),
                 dehex("4803 3330 37c1 c0bf"), dehex(R"(88c1 611d 4d6f 6e2c 2032 3120 4f63 7420
                          3230 3133 2032 303a 3133 3a32 3220 474d
                          54c0 5a04 677a 6970 7738 666f 6f3d 4153
                          444a 4b48 514b 425a 584f 5157 454f 5049
                          5541 5851 5745 4f49 553b 206d 6178 2d61
                          6765 3d33 3630 303b 2076 6572 7369 6f6e
                          3d31)"));
}

TEST_CASE("C.6 responses with Huffman coding", "[hpack]") {
  checkResponses(dehex(R"(4882 6402 5885 aec3 771a 4b61 96d0 7abe
                          9410 54d4 44a8 2005 9504 0b81 66e0 82a6
                          2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8
                          e9ae 82ae 43d3)"),
                 dehex("4883 640e ffc1 c0bf"), dehex(R"(88c1 6196 d07a be94 1054 d444 a820 0595
                          040b 8166 e084 a62d 1bff c05a 839b d9ab
                          77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b
                          3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
                          9587 3160 65c0 03ed 4ee5 b106 3d50 07)"));
}

// --- Huffman ----------------------------------------------------------------

TEST_CASE("Huffman encoding matches the RFC 7541 Appendix C strings", "[hpack]") {
  const std::vector<std::pair<std::string, std::string>> examples = {
      {"www.example.com", dehex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")},
      {"no-cache", dehex("a8eb 1064 9cbf")},
      {"custom-key", dehex("25a8 49e9 5ba9 7d7f")},
      {"custom-value", dehex("25a8 49e9 5bb8 e8b4 bf")},
      {"302", dehex("6402")},
      {"307", dehex("640e ff")},
      {"private", dehex("aec3 771a 4b")},
      {kDate1, dehex("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff")},
      {kLocation, dehex("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")},
      {"gzip", dehex("9bd9 ab")},
      {kCookie, dehex(R"(94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1
                         ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07)")},
  };
  for (const auto& [plain, coded] : examples) {
    std::string out = "prefix";
    huffmanEncode(plain, &out);
    CHECK(out == "prefix" + coded);
    CHECK(huffmanEncodedLength(plain) == coded.size());

    std::string decoded = "prefix";
    REQUIRE(huffmanDecode(coded, &decoded));
    CHECK(decoded == "prefix" + plain);
  }
}

TEST_CASE("Huffman round trip over every byte value and random strings", "[hpack]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));

  std::vector<std::string> inputs = {"", all, std::string(all.rbegin(), all.rend())};
  for (int b = 0; b < 256; ++b) {
    inputs.emplace_back(1, static_cast<char>(b));
    inputs.emplace_back(3, static_cast<char>(b));
  }
  std::mt19937 rng(7541);
  std::uniform_int_distribution<std::size_t> length(0, 300);
  for (int i = 0; i < 500; ++i) inputs.push_back(randomBytes(rng, length(rng)));
  // Header-like text, where the short codes dominate.
  std::uniform_int_distribution<int> printable(0x20, 0x7e);
  for (int i = 0; i < 200; ++i) {
    std::string s(length(rng), '\0');
    for (char& c : s) c = static_cast<char>(printable(rng));
    inputs.push_back(s);
  }

  for (const std::string& in : inputs) {
    std::string coded;
    huffmanEncode(in, &coded);
    REQUIRE(coded.size() == huffmanEncodedLength(in));
    std::string decoded;
    REQUIRE(huffmanDecode(coded, &decoded));
    REQUIRE(decoded == in);
  }
}

TEST_CASE("Invalid Huffman strings are rejected", "[hpack]") {
  // 'a' is 00011 (5 bits), so "a" is 00011 + 111 padding.
  std::string out;
  REQUIRE(huffmanDecode(dehex("1f"), &out));
  CHECK(out == "a");

  const std::vector<std::pair<const char*, std::string>> bad = {
      {"padding with zeros", dehex("18")},
      {"padding mixing ones and zeros", dehex("1d")},
      {"padding of 8 bits", dehex("ff")},
      {"padding longer than 7 bits after a symbol", dehex("1fff")},
      {"EOS alone", dehex("ffff fffc")},  // 30 ones, then 2 bits that are not padding
      {"EOS alone, padded", dehex("ffff ffff")},
      {"EOS after a symbol", dehex("1fff ffff ff")},  // 'a', EOS, 5 ones of padding
      {"a 21-bit code cut after 16 bits", dehex("fffe")},
  };
  for (const auto& [what, in] : bad) {
    INFO(what);
    std::string decoded = "kept";
    CHECK_FALSE(huffmanDecode(in, &decoded));
    CHECK(decoded == "kept");
  }
}

// --- Decoder errors ---------------------------------------------------------

TEST_CASE("Malformed header blocks are compression errors", "[hpack]") {
  const std::vector<std::pair<const char*, std::string>> bad = {
      {"index 0", dehex("80")},
      {"index past the static table, dynamic table empty", dehex("be")},
      {"literal name index past the table", dehex("7e 0176")},
      {"literal without indexing, name index past the table", dehex("0f2f 0176")},
      {"table size update above our maximum", dehex("3fe2 1f")},  // 4097
      {"table size update after a field", dehex("82 20")},
      {"truncated integer", dehex("ff")},
      {"truncated integer, continuation bit set", dehex("ff80")},
      {"integer too large", dehex("ff ffff ffff 0f")},
      {"truncated name string", dehex("400a 6375 7374 6f6d")},
      {"missing value string", dehex("4003 616263")},
      {"truncated value string", dehex("4003 616263 05 6162")},
      {"Huffman value with zero padding", dehex("4003 616263 81 18")},
      {"Huffman value containing EOS", dehex("4003 616263 84 ffff ffff")},
      {"Huffman name with bad padding", dehex("0081 18 0161")},
  };
  for (const auto& [what, block] : bad) {
    INFO(what);
    HpackDecoder d;
    Headers out = {{"already", "there"}};
    CHECK(d.decode(block, &out) == Result::Error);
    CHECK(out == Headers{{"already", "there"}});
    // The decoder's state can no longer be trusted to match the peer's.
    CHECK(d.decode(dehex("82"), &out) == Result::Error);
  }
}

TEST_CASE("Table size updates", "[hpack]") {
  HpackDecoder d;
  SECTION("up to the advertised maximum, and several at the start of a block") {
    CHECK(decodeOk(d, dehex("3fe1 1f 20 3fe1 1f 82")) == Headers{{":method", "GET"}});  // 4096
  }
  SECTION("shrinking evicts, and 0 keeps the table empty") {
    decodeOk(d, dehex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    requireDynamicTable(d, {{"custom-key", "custom-header"}});
    CHECK(decodeOk(d, dehex("20 82")) == Headers{{":method", "GET"}});
    requireDynamicTable(d, {});
    // With capacity 0, a literal with indexing is still delivered but not stored.
    CHECK(decodeOk(d, dehex("4003 616263 0178")) == Headers{{"abc", "x"}});
    requireDynamicTable(d, {});
    // Growing back is allowed, up to what we advertised.
    decodeOk(d, dehex("3fe1 1f 4003 616263 0178"));
    requireDynamicTable(d, {{"abc", "x"}});
  }
  SECTION("a smaller advertised maximum") {
    HpackDecoder small(100);
    CHECK(decodeResult(small, dehex("3f45")) == Result::Ok);     // 100
    CHECK(decodeResult(small, dehex("3f46")) == Result::Error);  // 101
  }
}

TEST_CASE("Eviction while inserting an entry named after the evicted one", "[hpack]") {
  HpackDecoder d(100);
  // "custom-key: v" takes 10 + 1 + 32 = 43 bytes.
  decodeOk(d, dehex("400a 6375 7374 6f6d 2d6b 6579 0176"));
  // Then a field named by index 62 (that entry) with a 30-byte value:
  // 10 + 30 + 32 = 72 bytes, which only fits once the entry it names is gone.
  const std::string value(30, 'w');
  std::string block = dehex("7e 1e") + value;
  CHECK(decodeOk(d, block) == Headers{{"custom-key", value}});
  requireDynamicTable(d, {{"custom-key", value}});
}

TEST_CASE("An entry larger than the table empties it", "[hpack]") {
  HpackDecoder d(100);
  decodeOk(d, dehex("4003 616263 0178"));
  requireDynamicTable(d, {{"abc", "x"}});
  const std::string value(70, 'y');  // 3 + 70 + 32 > 100
  CHECK(decodeOk(d, dehex("4003 616263 46") + value) == Headers{{"abc", value}});
  requireDynamicTable(d, {});
}

TEST_CASE("Many insertions cycle through the dynamic table", "[hpack]") {
  // Exercises the ring's growth and wrap-around: each block adds one entry
  // and reads back the newest few.
  HpackDecoder d;
  Headers expected;  // newest first
  std::size_t size = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string name = "x-key-" + std::to_string(i % 37);
    const std::string value(static_cast<std::size_t>(i % 300), static_cast<char>('a' + i % 26));
    std::string block = dehex("40");
    encodeInteger(name.size(), 7, 0, &block);
    block += name;
    encodeInteger(value.size(), 7, 0, &block);
    block += value;
    block += indexed(62);
    REQUIRE(decodeOk(d, block) == Headers{{name, value}, {name, value}});
    expected.insert(expected.begin(), Header{name, value});
    size += name.size() + value.size() + 32;
    while (size > 4096) {
      size -= expected.back().name.size() + expected.back().value.size() + 32;
      expected.pop_back();
    }
    if (i % 97 == 0) requireDynamicTable(d, expected);
  }
  requireDynamicTable(d, expected);
}

TEST_CASE("A header list over the limit is TooLarge and the table stays in step", "[hpack]") {
  HpackDecoder d(4096, 100);
  // Exactly the limit: 3 + 65 + 32 = 100.
  const std::string fits(65, 'f');
  CHECK(decodeOk(d, dehex("0003 616263 41") + fits) == Headers{{"abc", fits}});

  // Each field fits, the list does not: "big" (3 + 50 + 32 = 85) is added to
  // the table and then indexed from it within the same block (85 more), and
  // one more field adds an entry after the limit was crossed.
  const std::string big(50, 'b');
  const std::string block = dehex("4003 626967 32") + big + dehex("be") + dehex("4003 616263 0178");
  Headers out = {{"already", "there"}};
  CHECK(d.decode(block, &out) == Result::TooLarge);
  CHECK(out == Headers{{"already", "there"}});

  // Both insertions happened, so the next blocks' references resolve.
  CHECK(decodeOk(d, dehex("bf")) == Headers{{"big", big}});
  CHECK(decodeOk(d, dehex("be")) == Headers{{"abc", "x"}});
  requireDynamicTable(d, {{"abc", "x"}, {"big", big}});

  // A single field over the limit is TooLarge too, and still indexed.
  const std::string huge(200, 'h');
  CHECK(decodeResult(d, dehex("4003 687567 7f49") + huge) == Result::TooLarge);
  CHECK(decodeResult(d, dehex("be")) == Result::TooLarge);
  CHECK(decodeOk(d, dehex("bf")) == Headers{{"abc", "x"}});
}

TEST_CASE("Random bytes never crash the decoder", "[hpack]") {
  // Mostly errors; what matters is that no input reads out of bounds (run
  // under the sanitizers) and that a decoder that failed stays failed.
  std::mt19937 rng(9113);
  std::uniform_int_distribution<std::size_t> length(0, 64);
  int ok = 0;
  for (int i = 0; i < 5000; ++i) {
    HpackDecoder d(256, 1024);
    const std::string block = randomBytes(rng, length(rng));
    Headers out;
    const Result r = d.decode(block, &out);
    if (r == Result::Ok) ++ok;
    if (r == Result::Error) CHECK(d.decode("", &out) == Result::Error);
  }
  CHECK(ok > 0);
}

// --- Encoder ----------------------------------------------------------------

TEST_CASE("Encoder output decodes to the same fields", "[hpack]") {
  std::mt19937 rng(7540);
  const Headers fields = {
      {":status", "200"},
      {"content-type", "application/grpc"},
      {"grpc-status", "0"},
      {"grpc-message", "some text with spaces"},
      {"grpc-status-details-bin", randomBytes(rng, 5000)},
      {"x-empty", ""},
      {"date", "Mon, 21 Oct 2013 20:13:22 GMT"},
      {":status", "418"},  // not in the static table: a literal named by index 8
  };
  const HpackEncoder encoder;
  std::string block;
  for (const Header& h : fields) encoder.encode(h.name, h.value, &block);

  HpackDecoder d;
  CHECK(decodeOk(d, block) == fields);
  // The encoder never indexes, so the decoder's table is still empty.
  requireDynamicTable(d, {});
}

TEST_CASE("Encoder byte choices", "[hpack]") {
  const HpackEncoder encoder;
  const auto encode = [&](std::string_view name, std::string_view value) {
    std::string out;
    encoder.encode(name, value, &out);
    return out;
  };
  // Fully indexed statuses.
  CHECK(encode(":status", "200") == dehex("88"));
  CHECK(encode(":status", "500") == dehex("8e"));
  // Index 31 needs the 4-bit prefix plus one byte; "application/grpc" is
  // shorter Huffman-coded (11 bytes, flagged 0x80).
  std::string contentType = encode("content-type", "application/grpc");
  CHECK(contentType.substr(0, 2) == dehex("0f10"));
  CHECK(static_cast<unsigned char>(contentType[2]) == (0x80 | 11));
  CHECK(contentType.size() == 3 + 11);
  // "418" does not get shorter Huffman-coded (3 bytes either way): raw.
  CHECK(encode(":status", "418") == dehex("08 03") + "418");
  // A name outside the static table is a literal (index 0); "grpc-status"
  // Huffman-codes to 8 bytes, "0" stays raw.
  std::string grpcStatus = encode("grpc-status", "0");
  CHECK(grpcStatus.substr(0, 2) == dehex("00 88"));
  CHECK(grpcStatus.substr(10) == dehex("01") + "0");
  // Binary data Huffman-codes longer than raw: stays raw.
  const std::string binary = "\xff\xfe\xfd";
  CHECK(encode("x-bin", binary).substr(encode("x-bin", binary).size() - 4) == dehex("03") + binary);
}
