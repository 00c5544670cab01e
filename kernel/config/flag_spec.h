// The table of every flag Cairn accepts: etcd 3.4's server flags with their
// names and defaults, plus Cairn's own. One table drives the command line,
// the ETCD_* environment, the YAML config file and the help text, so the
// four can never disagree about a flag.
#pragma once

#include <string_view>
#include <vector>

namespace cairn::config {

// How a flag's text is read, mirroring the Go flag.Value type etcd uses.
enum class FlagKind {
  String,
  Bool,           // Go bool: bare --x means true; never consumes the next argument
  Uint,           // Go uint (64-bit here)
  Uint32,         // etcd's uint32Value (raw strconv error text)
  Int,            // Go int (64-bit)
  Duration,       // Go time.Duration
  Urls,           // comma-separated member URLs, sorted and de-duplicated
  CorsOrigins,    // like Urls, but "*" is allowed
  Strings,        // comma-separated, order kept
  UniqueStrings,  // comma-separated, sorted and de-duplicated
  Choice,         // one of `choices`
  Ignored,        // an etcd flag that no longer does anything; bool-like
  KeyValue,       // repeatable key=value (Cairn's --storage-option)
  PluginList,     // comma-separated plugin names (Cairn's --plugins)
};

struct FlagSpec {
  std::string_view name;
  FlagKind kind;
  std::string_view defaultValue;  // normalised text
  bool inEffect;                  // Cairn implements what the flag asks for
  bool inYaml;                    // a top-level key of etcd's YAML config file
  std::string_view group;         // help section; empty hides the flag
  std::string_view help;
  std::string_view choices = {};  // Choice kind: comma-separated valid values
};

const std::vector<FlagSpec>& flagTable();
const FlagSpec* findFlag(std::string_view name);

}  // namespace cairn::config
