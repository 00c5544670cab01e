#include "fatal.h"

#include <cstdlib>

namespace cairn::server {

void fatal(Logger& logger, const char* caller, std::string_view msg, std::string fields) {
  logger.log(LogLevel::Fatal, caller, msg, fields);
  std::abort();
}

}  // namespace cairn::server
