// Command-line parsing with the rules of Go's `flag` package, which etcd
// uses: "-x" and "--x" are the same, "--x=v" or "--x v" for values, a bool
// never takes the next argument, parsing stops at the first non-flag argument
// or "--", and errors carry Go's wording. The arguments are split by
// Boost.Program_options from the flag table (see command_line.cpp).
#pragma once

#include <string>
#include <vector>

#include "cairn/status.h"
#include "flag_values.h"

namespace cairn::config {

struct CommandLine {
  bool helpRequested = false;           // -h, -help, --help
  std::vector<std::string> positional;  // arguments left after the flags
  std::vector<std::string> setFlags;    // names given, in order (for env/conflict checks)
};

// Applies argv[1..] to `values` (source CommandLine). Warnings for etcd's
// retired flags go to `warnings`. On error the Status message is Go's line,
// e.g. "flag provided but not defined: -foo".
Status parseCommandLine(int argc, const char* const* argv, FlagValues* values,
                        std::vector<std::string>* warnings, CommandLine* out);

// etcd's warning for a retired flag.
std::string ignoredFlagWarning(std::string_view name);

}  // namespace cairn::config
