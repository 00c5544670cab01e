#include "json_logger.h"

#include <chrono>
#include <cstring>
#include <ctime>

namespace cairn::server {

JsonLogger::JsonLogger(LogLevel minLevel, const std::vector<std::string>& outputs)
    : minLevel_(minLevel) {
  for (const auto& o : outputs) {
    if (o.empty() || o == "default" || o == "stderr") {
      sinks_.push_back(stderr);
    } else if (o == "stdout") {
      sinks_.push_back(stdout);
    } else if (std::FILE* f = std::fopen(o.c_str(), "a")) {
      sinks_.push_back(f);
      owned_.push_back(f);
    } else {
      std::fprintf(stderr, "cairn: cannot open log output %s: %s\n", o.c_str(),
                   std::strerror(errno));
      sinks_.push_back(stderr);
    }
  }
  if (sinks_.empty()) sinks_.push_back(stderr);
}

JsonLogger::~JsonLogger() {
  for (std::FILE* f : owned_) std::fclose(f);
}

LogLevel JsonLogger::parseLevel(std::string_view name, bool* ok) {
  *ok = true;
  if (name == "debug") return LogLevel::Debug;
  if (name == "info") return LogLevel::Info;
  if (name == "warn") return LogLevel::Warn;
  if (name == "error") return LogLevel::Error;
  if (name == "panic" || name == "fatal") return LogLevel::Fatal;
  *ok = false;
  return LogLevel::Info;
}

void JsonLogger::log(LogLevel level, std::string_view caller, std::string_view msg,
                     std::string_view fields) {
  if (level < minLevel_) return;
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error", "fatal"};
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  std::string line = "{\"level\":\"";
  line += kNames[static_cast<int>(level)];
  line += "\",\"ts\":\"";
  line += ts;
  line += "\",\"caller\":\"" + jsonEscape(caller) + "\",\"msg\":\"" + jsonEscape(msg) + "\"";
  if (!fields.empty()) {
    line += ',';
    line += fields;
  }
  line += "}\n";
  std::lock_guard lk(mu_);
  for (std::FILE* f : sinks_) {
    std::fwrite(line.data(), 1, line.size(), f);
    std::fflush(f);
  }
}

}  // namespace cairn::server
