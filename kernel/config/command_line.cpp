#include "command_line.h"

#include <algorithm>
#include <string_view>

namespace cairn::config {

std::string ignoredFlagWarning(std::string_view name) {
  return "flag \"-" + std::string(name) + "\" is no longer supported - ignoring.";
}

Status parseCommandLine(int argc, const char* const* argv, FlagValues* values,
                        std::vector<std::string>* warnings, CommandLine* out) {
  auto fail = [](std::string message) {
    return Status(StatusCode::InvalidArgument, std::move(message));
  };
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i] != nullptr ? argv[i] : "";
    if (arg.size() < 2 || arg[0] != '-') break;  // first non-flag argument
    size_t dashes = 1;
    if (arg[1] == '-') {
      dashes = 2;
      if (arg.size() == 2) {  // "--" ends the flags
        ++i;
        break;
      }
    }
    std::string_view name = arg.substr(dashes);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      return fail("bad flag syntax: " + std::string(arg));
    }
    bool hasValue = false;
    std::string_view value;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    const FlagSpec* spec = findFlag(name);
    if (spec == nullptr) {
      if (name == "help" || name == "h") {
        out->helpRequested = true;
        return Status::ok();
      }
      return fail("flag provided but not defined: -" + std::string(name));
    }
    std::string nameText(name);
    if (spec->kind == FlagKind::Bool || spec->kind == FlagKind::Ignored) {
      std::string text = hasValue ? std::string(value) : "true";
      std::string err = values->set(*spec, text, FlagSource::CommandLine);
      if (!err.empty()) {
        if (!hasValue) return fail("invalid boolean flag " + nameText + ": " + err);
        return fail("invalid boolean value \"" + text + "\" for -" + nameText + ": " + err);
      }
      if (spec->kind == FlagKind::Ignored) warnings->push_back(ignoredFlagWarning(name));
    } else {
      if (!hasValue) {
        // Go takes the next argument whatever it looks like, even "-x".
        if (i + 1 >= argc) return fail("flag needs an argument: -" + nameText);
        value = argv[++i] != nullptr ? argv[i] : "";
      }
      std::string err = values->set(*spec, value, FlagSource::CommandLine);
      if (!err.empty()) {
        return fail("invalid value \"" + std::string(value) + "\" for flag -" + nameText + ": " +
                    err);
      }
    }
    if (std::find(out->setFlags.begin(), out->setFlags.end(), nameText) == out->setFlags.end()) {
      out->setFlags.push_back(nameText);
    }
  }
  for (; i < argc; ++i) out->positional.emplace_back(argv[i] != nullptr ? argv[i] : "");
  return Status::ok();
}

}  // namespace cairn::config
