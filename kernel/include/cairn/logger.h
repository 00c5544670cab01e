// Logger: the kernel's structured log, as seen by plugins.
//
// Lines are JSON objects in the shape etcd's zap logger prints
// ({"level":..,"ts":..,"caller":..,"msg":..}), so tools that wait on etcd's
// startup lines work unchanged.
#pragma once

#include <string_view>

namespace cairn {

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
