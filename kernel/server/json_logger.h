// JsonLogger: the kernel's Logger, printing etcd's zap JSON line format.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/logger.h"

namespace cairn::server {

class JsonLogger final : public Logger {
 public:
  // `outputs` as --log-outputs: "default"/"stderr", "stdout", or file paths.
  JsonLogger(LogLevel minLevel, const std::vector<std::string>& outputs);
  ~JsonLogger() override;
  JsonLogger(const JsonLogger&) = delete;
  JsonLogger& operator=(const JsonLogger&) = delete;

  void log(LogLevel level, std::string_view caller, std::string_view msg,
           std::string_view fields) override;

  static LogLevel parseLevel(std::string_view name, bool* ok);

 private:
  LogLevel minLevel_;
  std::mutex mu_;                  // serialises whole lines across threads
  std::vector<std::FILE*> sinks_;  // guarded by mu_
  std::vector<std::FILE*> owned_;  // files opened here, closed in the dtor
};

}  // namespace cairn::server
