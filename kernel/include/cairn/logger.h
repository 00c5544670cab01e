// Logger: the kernel's structured log, as seen by plugins.
//
// Lines are JSON objects in the shape etcd's zap logger prints
// ({"level":..,"ts":..,"caller":..,"msg":..}), so tools that wait on etcd's
// startup lines work unchanged.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// Log fields are a pre-rendered JSON fragment, so whoever builds one escapes
// its strings; these helpers are the one way to do it, kernel and plugins alike.
inline std::string jsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

// `"key":"value"`, both escaped.
inline std::string jsonField(std::string_view key, std::string_view value) {
  return "\"" + jsonEscape(key) + "\":\"" + jsonEscape(value) + "\"";
}
// Without these a string literal would convert to bool, not string_view.
inline std::string jsonField(std::string_view key, const char* value) {
  return jsonField(key, std::string_view(value));
}
inline std::string jsonField(std::string_view key, const std::string& value) {
  return jsonField(key, std::string_view(value));
}
inline std::string jsonField(std::string_view key, long long value) {
  return "\"" + jsonEscape(key) + "\":" + std::to_string(value);
}
inline std::string jsonField(std::string_view key, bool value) {
  return "\"" + jsonEscape(key) + "\":" + (value ? "true" : "false");
}
inline std::string jsonArrayField(std::string_view key, const std::vector<std::string>& values) {
  std::string out = "\"" + jsonEscape(key) + "\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i ? ",\"" : "\"") + jsonEscape(values[i]) + "\"";
  }
  return out + "]";
}

enum class LogLevel { Debug, Info, Warn, Error, Fatal };

class Logger {
 public:
  virtual ~Logger() = default;
  // `fields` is a pre-rendered JSON fragment of extra fields without braces,
  // e.g. R"("key":"a","count":3)"; empty for none. Thread-safe.
  virtual void log(LogLevel level, std::string_view caller, std::string_view msg,
                   std::string_view fields = {}) = 0;

  void info(std::string_view caller, std::string_view msg, std::string_view fields = {}) {
    log(LogLevel::Info, caller, msg, fields);
  }
  void warn(std::string_view caller, std::string_view msg, std::string_view fields = {}) {
    log(LogLevel::Warn, caller, msg, fields);
  }
  void error(std::string_view caller, std::string_view msg, std::string_view fields = {}) {
    log(LogLevel::Error, caller, msg, fields);
  }
};

}  // namespace cairn
