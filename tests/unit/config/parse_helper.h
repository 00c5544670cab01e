// Test helper: runs config::parse on a list of arguments and environment.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace cairn::config::test {

struct ParseRun {
  Status status;
  Config cfg;
  ParseOutcome outcome = ParseOutcome::Run;
  std::string out;
};

inline ParseRun runParse(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), "cairn");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  ParseRun run;
  std::ostringstream out;
  run.status = parse(static_cast<int>(argv.size()), argv.data(), env, out, &run.cfg, &run.outcome);
  run.out = out.str();
  return run;
}

inline bool contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const std::string& s : v) {
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace cairn::config::test
