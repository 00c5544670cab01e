// etcd's YAML configuration file (--config-file): top-level keys are the
// `json:` names of etcd's embed.Config ("name", "data-dir",
// "listen-client-urls", ...), TLS settings live in the nested
// "client-transport-security" and "peer-transport-security" blocks, and
// Cairn's own flags use their flag names ("storage-backend", "plugins",
// "storage-option" as a list of key=value or a mapping).
//
// Value rules follow what etcd's loader (YAML -> JSON -> Go struct) accepts:
// durations are integers of nanoseconds (Cairn also takes Go duration text
// such as "5s"); URL lists are comma-separated strings (Cairn also takes a
// list); booleans are YAML booleans. Unknown keys are ignored by etcd;
// Cairn ignores them too but warns.
#pragma once

#include <string>
#include <vector>

#include "cairn/status.h"
#include "flag_values.h"

namespace cairn::config {

// Reads `path` into `values` (source ConfigFile). Errors are
// "<path>:<line>: <message>".
Status loadConfigFile(const std::string& path, FlagValues* values,
                      std::vector<std::string>* warnings);

// Same, from text already in memory; `path` only names it in messages.
Status loadConfigText(const std::string& path, std::string_view text, FlagValues* values,
                      std::vector<std::string>* warnings);

}  // namespace cairn::config
