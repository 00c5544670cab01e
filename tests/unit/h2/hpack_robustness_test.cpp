// HPACK beyond RFC 7541's examples: Huffman round trips, malformed and
// random input, table size updates and eviction, the header list limit,
// and the encoder's output read back by the decoder.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "hpack_helpers.h"

using namespace cairn::api::h2::testing;

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
    HeaderList out = {{"already", "there"}};
    CHECK(d.decode(block, &out) == Result::Error);
    CHECK(out.toVector() == Headers{{"already", "there"}});
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
  HeaderList out = {{"already", "there"}};
  CHECK(d.decode(block, &out) == Result::TooLarge);
  CHECK(out.toVector() == Headers{{"already", "there"}});

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
    HeaderList out;
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
