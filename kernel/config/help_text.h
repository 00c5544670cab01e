// Internal: the short usage shown after a command-line error.
#pragma once

#include <string>

namespace cairn::config {

std::string usageText();

}  // namespace cairn::config
