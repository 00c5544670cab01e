// The current value of every flag while the sources (command line,
// environment, config file) are applied, plus where each value came from.
// Values are validated and normalised as they are stored, so the later
// typed conversion cannot fail and Host::flag() sees one canonical spelling.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "flag_spec.h"

namespace cairn::config {

enum class FlagSource { Default, CommandLine, Environment, ConfigFile };

struct FlagValue {
  std::string text;                // normalised value (KeyValue: items joined by ',')
  std::vector<std::string> items;  // KeyValue kind only: each key=value given
  FlagSource source = FlagSource::Default;
};

// Checks `text` against the flag's kind. Fails with InvalidArgument whose
// message is the detail Go's flag package would print after
// "invalid value ...: ".
Status normalizeFlagValue(const FlagSpec& spec, std::string_view text, std::string* out);

class FlagValues {
 public:
  FlagValues();

  // Validates and stores a value; fails as normalizeFlagValue() does.
  // A KeyValue flag appends (it is repeatable); everything else replaces,
  // so the last occurrence on a command line wins as in Go.
  Status set(const FlagSpec& spec, std::string_view text, FlagSource source);

  const FlagValue& get(std::string_view name) const;
  const std::string& text(std::string_view name) const { return get(name).text; }
  bool isSet(std::string_view name) const { return get(name).source != FlagSource::Default; }
  // Overrides a value after derivation (data-dir, initial-cluster, ...).
  void setDerived(std::string_view name, std::string text);

 private:
  std::map<std::string, FlagValue, std::less<>> values_;
};

}  // namespace cairn::config
