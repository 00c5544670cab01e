// `cairn --lua-check FILE`: loads one script as a member would (sandbox,
// limits, top level run, cairn.watch{} validated) without starting one.
#pragma once

#include <string>

#include "cairn/logger.h"
#include "cairn/status.h"
#include "sandbox.h"

namespace cairn::luahooks {

// OK (and the handlers logged) or InvalidArgument "file.lua:LINE: why".
Status checkScript(const std::string& path, const SandboxLimits& limits, Logger& logger);

}  // namespace cairn::luahooks
