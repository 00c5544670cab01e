// The parsing step every cairn-bench mode shares: argv against a
// Boost.Program_options description, with --help and parse errors turned into
// an outcome the mode returns as is.
#pragma once

#include <boost/program_options.hpp>
#include <string>

namespace cairn::bench {

enum class ParseOutcome { kRun, kHelp, kError };

// kHelp: *message is the usage text; kError: *message is the reason; kRun:
// *vm holds the values (bound variables are filled).
ParseOutcome parseCommandLine(const boost::program_options::options_description& desc, int argc,
                              char** argv, boost::program_options::variables_map* vm,
                              std::string* message);

}  // namespace cairn::bench
