#include "command_line.h"

#include <sstream>

namespace cairn::bench {

namespace po = boost::program_options;

ParseOutcome parseCommandLine(const po::options_description& desc, int argc, char** argv,
                              po::variables_map* vm, std::string* message) {
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    *message = e.what();
    return ParseOutcome::kError;
  }
  if (vm->count("help") != 0) {
    std::ostringstream usage;
    usage << desc;
    *message = usage.str();
    return ParseOutcome::kHelp;
  }
  return ParseOutcome::kRun;
}

}  // namespace cairn::bench
