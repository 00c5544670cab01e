// HPACK: the RFC 7541 Appendix C examples byte for byte (integers, field
// representations, requests and responses with and without Huffman codes).
// Malformed and random input, the limits and the encoder are in
// hpack_robustness_test.cpp.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "hpack_helpers.h"

using namespace cairn::api::h2::testing;

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
