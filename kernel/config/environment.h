// ETCD_* environment variables, applied the way etcd's pkg/flags does:
// ETCD_<FLAG_NAME_UPPER_WITH_UNDERSCORES> sets a flag not given on the
// command line; a variable for a flag that *was* given on the command line is
// an error (etcd stops with a critical log); an ETCD_ variable naming no flag
// is a warning. Only the ETCD_ prefix is read, for Cairn's own flags too
// (ETCD_STORAGE_BACKEND, ETCD_PLUGINS, ...), so one environment serves etcd
// and Cairn alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "flag_values.h"

namespace cairn::config {

// "data-dir" -> "ETCD_DATA_DIR".
std::string flagToEnv(std::string_view flagName);

// The value of `key` in KEY=VALUE pairs (first match), if present.
std::optional<std::string> lookupEnv(const std::vector<std::string>& env, std::string_view key);

// `commandLineFlags` are the flags given on the command line.
Status applyEnvironment(const std::vector<std::string>& env,
                        const std::vector<std::string>& commandLineFlags, FlagValues* values,
                        std::vector<std::string>* warnings);

}  // namespace cairn::config
