#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::bench {

// Builds one JSON object as text. Hand-written because the project's fixed
// dependency set has no JSON library and the report is a flat, small object.
// Callers nest by passing another writer's finished text to rawField().
class JsonWriter {
 public:
  JsonWriter& field(std::string_view key, std::string_view value);
  JsonWriter& field(std::string_view key, const char* value) {
    return field(key, std::string_view(value));
  }
  JsonWriter& field(std::string_view key, std::int64_t value);
  JsonWriter& field(std::string_view key, int value) {
    return field(key, static_cast<std::int64_t>(value));
  }
  JsonWriter& field(std::string_view key, double value);
  JsonWriter& field(std::string_view key, bool value);
  JsonWriter& rawField(std::string_view key, std::string_view json);

  std::string finish() const { return "{" + body_ + "}"; }

  static std::string quote(std::string_view text);

 private:
  void key(std::string_view key);

  std::string body_;
};

}  // namespace cairn::bench
