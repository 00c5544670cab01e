#include "environment.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "command_line.h"

namespace cairn::config {

std::string flagToEnv(std::string_view flagName) {
  std::string key = "ETCD_";
  for (char c : flagName) {
    key += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

std::optional<std::string> lookupEnv(const std::vector<std::string>& env, std::string_view key) {
  for (const std::string& entry : env) {
    if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
        entry[key.size()] == '=') {
      return entry.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

Status applyEnvironment(const std::vector<std::string>& env,
                        const std::vector<std::string>& commandLineFlags, FlagValues* values,
                        std::vector<std::string>* warnings) {
  std::set<std::string> shadowed;  // env keys of flags given on the command line
  for (const std::string& name : commandLineFlags) shadowed.insert(flagToEnv(name));

  // etcd walks the flags in name order and reports the last failure.
  std::vector<const FlagSpec*> specs;
  for (const FlagSpec& spec : flagTable()) specs.push_back(&spec);
  std::sort(specs.begin(), specs.end(),
            [](const FlagSpec* a, const FlagSpec* b) { return a->name < b->name; });

  std::set<std::string> used;
  Status result;
  for (const FlagSpec* spec : specs) {
    std::string key = flagToEnv(spec->name);
    if (shadowed.count(key) != 0) continue;
    std::optional<std::string> value = lookupEnv(env, key);
    if (!value || value->empty()) continue;  // an empty variable counts as unset
    used.insert(key);
    if (Status s = values->set(*spec, *value, FlagSource::Environment); !s) {
      result = Status(StatusCode::InvalidArgument,
                      "invalid value \"" + *value + "\" for " + key + ": " + s.message());
    } else if (spec->kind == FlagKind::Ignored) {
      warnings->push_back(ignoredFlagWarning(spec->name));
    }
  }

  for (const std::string& entry : env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) warnings->push_back("found invalid env " + entry);
    std::string key = entry.substr(0, eq);
    if (used.count(key) != 0) continue;
    if (shadowed.count(key) != 0) {
      return Status(StatusCode::InvalidArgument,
                    "conflicting environment variable \"" + key +
                        "\" is shadowed by corresponding command-line flag (either unset "
                        "environment variable or disable flag)");
    }
    if (entry.rfind("ETCD_", 0) == 0) {
      warnings->push_back("unrecognized environment variable " + entry);
    }
  }
  return result;
}

}  // namespace cairn::config
