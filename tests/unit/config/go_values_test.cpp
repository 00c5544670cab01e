#include "go_values.h"

#include <catch2/catch.hpp>

using namespace cairn::config;

TEST_CASE("Go bool spellings", "[go_values]") {
  for (const char* t : {"1", "t", "T", "true", "TRUE", "True"}) {
    bool b = false;
    CHECK(parseGoBool(t, &b).isOk());
    CHECK(b);
  }
  for (const char* f : {"0", "f", "F", "false", "FALSE", "False"}) {
    bool b = true;
    CHECK(parseGoBool(f, &b).isOk());
    CHECK_FALSE(b);
  }
  bool b = false;
  CHECK(parseGoBool("yes", &b).message() == "parse error");
  CHECK(parseGoBool("tRUE", &b).message() == "parse error");
}

TEST_CASE("Go unsigned integers with base prefixes", "[go_values]") {
  uint64_t v = 0;
  CHECK(parseGoUint("100000", 64, &v).isOk());
  CHECK(v == 100000);
  CHECK(parseGoUint("0x10", 64, &v).isOk());
  CHECK(v == 16);
  CHECK(parseGoUint("010", 64, &v).isOk());
  CHECK(v == 8);
  CHECK(parseGoUint("0o17", 64, &v).isOk());
  CHECK(v == 15);
  CHECK(parseGoUint("0b101", 64, &v).isOk());
  CHECK(v == 5);
  CHECK(parseGoUint("1_000", 64, &v).isOk());
  CHECK(v == 1000);
  CHECK(parseGoUint("0", 64, &v).isOk());
  CHECK(v == 0);
  CHECK(parseGoUint("18446744073709551615", 64, &v).isOk());
  CHECK(v == UINT64_MAX);
  CHECK(parseGoUint("18446744073709551616", 64, &v).message() == "value out of range");
  CHECK(parseGoUint("4294967296", 32, &v).message() == "value out of range");
  CHECK(parseGoUint("-1", 64, &v).message() == "parse error");
  CHECK(parseGoUint("+1", 64, &v).message() == "parse error");
  CHECK(parseGoUint("", 64, &v).message() == "parse error");
  CHECK(parseGoUint("08", 64, &v).message() == "parse error");
  CHECK(parseGoUint("0x", 64, &v).message() == "parse error");
  CHECK(parseGoUint("1__0", 64, &v).message() == "parse error");
  CHECK(parseGoUint("1_", 64, &v).message() == "parse error");
  CHECK(parseGoUint("12a", 64, &v).message() == "parse error");
}

TEST_CASE("Go signed integers", "[go_values]") {
  int64_t v = 0;
  CHECK(parseGoInt("-5", 64, &v).isOk());
  CHECK(v == -5);
  CHECK(parseGoInt("+7", 64, &v).isOk());
  CHECK(v == 7);
  CHECK(parseGoInt("-9223372036854775808", 64, &v).isOk());
  CHECK(v == INT64_MIN);
  CHECK(parseGoInt("9223372036854775808", 64, &v).message() == "value out of range");
  CHECK(parseGoInt("--1", 64, &v).message() == "parse error");
}

TEST_CASE("Go durations parse and format like time.Duration", "[go_values]") {
  int64_t ns = 0;
  CHECK(parseGoDuration("5s", &ns).isOk());
  CHECK(ns == 5000000000LL);
  CHECK(parseGoDuration("1h30m", &ns).isOk());
  CHECK(ns == 5400000000000LL);
  CHECK(parseGoDuration("1.5ms", &ns).isOk());
  CHECK(ns == 1500000);
  CHECK(parseGoDuration("0", &ns).isOk());
  CHECK(ns == 0);
  CHECK(parseGoDuration("-2us", &ns).isOk());
  CHECK(ns == -2000);
  CHECK(parseGoDuration("5", &ns).message() == "parse error");
  CHECK(parseGoDuration("5x", &ns).message() == "parse error");
  CHECK(parseGoDuration("", &ns).message() == "parse error");
  CHECK(parseGoDuration(".s", &ns).message() == "parse error");

  CHECK(formatGoDuration(0) == "0s");
  CHECK(formatGoDuration(100000000) == "100ms");
  CHECK(formatGoDuration(5000000000LL) == "5s");
  CHECK(formatGoDuration(7200000000000LL) == "2h0m0s");
  CHECK(formatGoDuration(600000000000LL) == "10m0s");
  CHECK(formatGoDuration(90500000000LL) == "1m30.5s");
  CHECK(formatGoDuration(1500) == "1.5\xC2\xB5s");
  CHECK(formatGoDuration(999) == "999ns");
  CHECK(formatGoDuration(-1500000) == "-1.5ms");
}
