// Malformed input of any shape must come back as an error, never as a crash
// or an escaped exception: the parser runs on whatever a user's file holds.
#include <catch2/catch.hpp>
#include <random>

#include "config_file.h"
#include "parse_helper.h"
#include "yaml_subset.h"

using namespace cairn;
using namespace cairn::config;

TEST_CASE("random mutations of a config file never crash the loader", "[robustness]") {
  const std::string seed =
      "name: 'a''b'\nlisten-client-urls: [http://127.0.0.1:2379, \"http://[::1]:1\"]\n"
      "client-transport-security:\n  cert-file: \"x\\u00e9\"\n  auto-tls: on\n"
      "storage-option:\n  - a=b\n  - c=d # c\ncipher-suites:\n- A\n- B\n"
      "grpc-keepalive-min-time: 100\nsnapshot-count: 0x10\n";
  const std::string alphabet = " \t\n:-#'\"[],{}~&*!|>\\ux0123456789ab=";
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = seed;
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (text.size() + 1);
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos), c);
          break;
        case 1:
          if (pos < text.size()) text.erase(pos, 1);
          break;
        default:
          if (pos < text.size()) text[pos] = c;
      }
    }
    FlagValues values;
    std::vector<std::string> warnings;
    Status s;
    REQUIRE_NOTHROW(s = loadConfigText("fuzz.yml", text, &values, &warnings));
    if (s.isOk()) {
      ++accepted;
    } else {
      CHECK(s.message().rfind("fuzz.yml:", 0) == 0);
    }
  }
  // The mutations are small, so some inputs must still load.
  CHECK(accepted > 0);
}

TEST_CASE("random command lines never crash the parser", "[robustness]") {
  const std::vector<std::string> pieces = {"-",
                                           "--",
                                           "---",
                                           "=",
                                           "name",
                                           "enable-v2",
                                           "snapshot-count",
                                           "listen-client-urls",
                                           "http://",
                                           "127.0.0.1",
                                           ":2379",
                                           "x",
                                           "0x",
                                           "1",
                                           "true",
                                           "storage-option",
                                           "k=v",
                                           "h",
                                           ","};
  std::mt19937 rng(777);
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> args;
    int count = static_cast<int>(rng() % 5);
    for (int i = 0; i < count; ++i) {
      std::string arg;
      int parts = 1 + static_cast<int>(rng() % 4);
      for (int p = 0; p < parts; ++p) arg += pieces[rng() % pieces.size()];
      args.push_back(arg);
    }
    REQUIRE_NOTHROW(test::runParse(args, {"ETCD_" + pieces[rng() % pieces.size()] + "=1"}));
  }
}
