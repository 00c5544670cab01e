#include "go_values.h"

#include <cmath>
#include <limits>

namespace cairn::config {
namespace {

constexpr std::string_view kParseError = "parse error";
constexpr std::string_view kRangeError = "value out of range";

// Go's words for a bad value; the caller puts them after its own prefix.
Status goError(std::string_view words) {
  return Status(StatusCode::InvalidArgument, std::string(words));
}

int digitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Unsigned magnitude of a base-0 Go integer literal without sign. Returns
// the error detail; `overflow` is reported only once the whole literal was
// syntactically valid, as Go does.
Status parseMagnitude(std::string_view s, uint64_t limit, uint64_t* out) {
  if (s.empty()) return goError(kParseError);
  int base = 10;
  bool prefixed = false;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') {
      base = 16, prefixed = true;
    } else if (p == 'o') {
      base = 8, prefixed = true;
    } else if (p == 'b') {
      base = 2, prefixed = true;
    } else {
      base = 8;  // leading zero: octal, the '0' itself is a digit
    }
  }
  std::string_view digits = prefixed ? s.substr(2) : s;
  // Underscores may only separate digits (or follow a base prefix).
  bool lastWasDigit = prefixed;  // "0x_1" is legal in Go
  bool sawDigit = false;
  bool overflow = false;
  uint64_t value = 0;
  for (char c : digits) {
    if (c == '_') {
      if (!lastWasDigit) return goError(kParseError);
      lastWasDigit = false;
      continue;
    }
    int d = digitValue(c);
    if (d >= base) return goError(kParseError);
    lastWasDigit = true;
    sawDigit = true;
    if (value > (limit - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      overflow = true;
    } else {
      value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
  }
  if (!sawDigit || !lastWasDigit) return goError(kParseError);
  if (overflow) return goError(kRangeError);
  *out = value;
  return Status::ok();
}

}  // namespace

Status parseGoBool(std::string_view t, bool* out) {
  if (t == "1" || t == "t" || t == "T" || t == "true" || t == "TRUE" || t == "True") {
    *out = true;
    return Status::ok();
  }
  if (t == "0" || t == "f" || t == "F" || t == "false" || t == "FALSE" || t == "False") {
    *out = false;
    return Status::ok();
  }
  return goError(kParseError);
}

Status parseGoUint(std::string_view text, int bits, uint64_t* out) {
  uint64_t limit = bits >= 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  return parseMagnitude(text, limit, out);
}

Status parseGoInt(std::string_view text, int bits, int64_t* out) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  uint64_t maxPositive = (uint64_t{1} << (bits - 1)) - 1;
  uint64_t limit = negative ? maxPositive + 1 : maxPositive;
  uint64_t magnitude = 0;
  if (Status s = parseMagnitude(text, limit, &magnitude); !s) return s;
  if (negative) {
    *out = magnitude == maxPositive + 1 ? std::numeric_limits<int64_t>::min()
                                        : -static_cast<int64_t>(magnitude);
  } else {
    *out = static_cast<int64_t>(magnitude);
  }
  return Status::ok();
}

Status parseGoDuration(std::string_view s, int64_t* nanos) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *nanos = 0;
    return Status::ok();
  }
  if (s.empty()) return goError(kParseError);
  // Accumulate in long double: etcd durations are far below the precision
  // limit, and a final range check mirrors Go's overflow error.
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double whole = 0;
    bool sawDigits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      ++i;
      sawDigits = true;
    }
    long double fraction = 0;
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        fraction += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        sawDigits = true;
      }
    }
    if (!sawDigits) return goError(kParseError);
    size_t unitStart = i;
    while (i < s.size() && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9')) ++i;
    std::string_view unit = s.substr(unitStart, i - unitStart);
    long double perUnit = 0;
    if (unit == "ns") {
      perUnit = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      perUnit = 1e3L;
    } else if (unit == "ms") {
      perUnit = 1e6L;
    } else if (unit == "s") {
      perUnit = 1e9L;
    } else if (unit == "m") {
      perUnit = 60e9L;
    } else if (unit == "h") {
      perUnit = 3600e9L;
    } else {
      return goError(kParseError);  // also covers a missing unit
    }
    total += (whole + fraction) * perUnit;
    s.remove_prefix(i);
  }
  if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return goError(kParseError);
  }
  int64_t v = static_cast<int64_t>(std::llround(total));
  *nanos = negative ? -v : v;
  return Status::ok();
}

namespace {

// Appends `v / 10^prec` with trailing fractional zeros removed.
std::string fixedPoint(uint64_t v, int prec) {
  std::string frac;
  bool printed = false;
  for (int i = 0; i < prec; ++i) {
    int digit = static_cast<int>(v % 10);
    printed = printed || digit != 0;
    if (printed) frac.insert(frac.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  std::string out = std::to_string(v);
  if (!frac.empty()) out += "." + frac;
  return out;
}

}  // namespace

std::string formatGoDuration(int64_t nanos) {
  if (nanos == 0) return "0s";
  bool negative = nanos < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-(nanos + 1)) + 1 : static_cast<uint64_t>(nanos);
  std::string out;
  if (u < 1000000000ULL) {
    if (u < 1000ULL) {
      out = std::to_string(u) + "ns";
    } else if (u < 1000000ULL) {
      out = fixedPoint(u, 3) + "\xC2\xB5s";
    } else {
      out = fixedPoint(u, 6) + "ms";
    }
  } else {
    uint64_t seconds = u / 1000000000ULL;
    uint64_t subsecond = u % 1000000000ULL;
    std::string secondsText = fixedPoint(seconds % 60 * 1000000000ULL + subsecond, 9) + "s";
    uint64_t minutes = seconds / 60;
    if (minutes == 0) {
      out = secondsText;
    } else {
      uint64_t hours = minutes / 60;
      out = std::to_string(minutes % 60) + "m" + secondsText;
      if (hours > 0) out = std::to_string(hours) + "h" + out;
    }
  }
  return negative ? "-" + out : out;
}

}  // namespace cairn::config
