// fatal(): the member's one way out of a state it cannot continue from (a
// WAL it cannot write, a backend commit that failed after the lessor
// changed). etcd panics in the same places; a restart recovers from the WAL.
#pragma once

#include <string>
#include <string_view>

#include "cairn/logger.h"

namespace cairn::server {

// Logs `msg` with `fields` (JSON fields, as jsonField builds them) at Fatal,
// then aborts.
[[noreturn]] void fatal(Logger& logger, const char* caller, std::string_view msg,
                        std::string fields);

}  // namespace cairn::server
