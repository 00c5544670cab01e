#include "go_duration.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace cairn::api {
namespace {

// Nanoseconds per unit, matched longest first so "ms" is not read as "m".
struct Unit {
  std::string_view name;
  double nanos;
};
constexpr Unit kUnits[] = {
    {"ns", 1.0},        {"us", 1e3}, {"\xC2\xB5s", 1e3},  // U+00B5 micro sign
    {"\xCE\xBCs", 1e3},                                   // U+03BC greek mu
    {"ms", 1e6},        {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::chrono::nanoseconds> parseGoDuration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return std::nullopt;

  double total = 0;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && isDigit(text[i])) ++i;
    size_t intDigits = i;
    size_t fracDigits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      const size_t fracStart = i;
      while (i < text.size() && isDigit(text[i])) ++i;
      fracDigits = i - fracStart;
    }
    if (intDigits == 0 && fracDigits == 0) return std::nullopt;
    const double number = std::stod(std::string(text.substr(0, i)));
    text.remove_prefix(i);

    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return std::nullopt;  // Go requires a unit on every part but "0"
    text.remove_prefix(unit->name.size());
    total += number * unit->nanos;
  }
  if (total > static_cast<double>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  const auto nanos = static_cast<int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -nanos : nanos);
}

}  // namespace cairn::api
