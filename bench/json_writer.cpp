#include "json_writer.h"

#include <cmath>
#include <cstdio>

#include "cairn/logger.h"

namespace cairn::bench {

void JsonWriter::key(std::string_view key) {
  if (!body_.empty()) body_ += ", ";
  body_ += quote(key);
  body_ += ": ";
}

JsonWriter& JsonWriter::field(std::string_view k, std::string_view value) {
  key(k);
  body_ += quote(value);
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    body_ += "null";  // JSON has no NaN/Infinity
    return *this;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  body_ += buf;
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::rawField(std::string_view k, std::string_view json) {
  key(k);
  body_ += json;
  return *this;
}

std::string JsonWriter::quote(std::string_view text) {
  return "\"" + cairn::jsonEscape(text) + "\"";
}

}  // namespace cairn::bench
