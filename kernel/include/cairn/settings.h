// Settings: the member's configuration, typed, as plugins read it.
//
// Every value was parsed and validated by the kernel's one set of parsers
// when the member started (etcd's flags, ETCD_* variables, --config-file), so
// a plugin never parses a flag itself and every default exists once, in the
// kernel's flag table. Reading a flag by the wrong type or an unknown name is
// a programming error reported as a Status, not a crash.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn {

// A member URL as etcd accepts it: scheme http, https, unix or unixs and an
// authority host:port. The kernel's URL parser produces these.
struct Url {
  std::string scheme;  // lower case: "http", "https", "unix", "unixs"
  std::string host;    // without IPv6 brackets; may be empty ("http://:2379")
  uint16_t port = 0;
  std::string raw;  // normalised text: "<scheme>://<authority>"
};

class Settings {
 public:
  virtual ~Settings() = default;
  // The value as given (or its default) by etcd flag name
  // ("listen-client-urls"); nullopt for a name the kernel does not know.
  virtual std::optional<std::string> raw(std::string_view flag) const = 0;
  // Typed reads. NotFound for an unknown flag; InvalidArgument naming the
  // flag if its value is not of the asked type.
  virtual Status boolean(std::string_view flag, bool* out) const = 0;
  // Sizes and counts (Go's base-0 integer syntax).
  virtual Status uint64(std::string_view flag, uint64_t* out) const = 0;
  virtual Status int64(std::string_view flag, int64_t* out) const = 0;
  // Go durations ("100ms", "2h0m0s").
  virtual Status duration(std::string_view flag, std::chrono::nanoseconds* out) const = 0;
  // URL lists, normalised as etcd stores them.
  virtual Status urls(std::string_view flag, std::vector<Url>* out) const = 0;
  // Comma-separated lists.
  virtual Status list(std::string_view flag, std::vector<std::string>* out) const = 0;

  // A Go duration found inside a flag's value rather than as a flag of its
  // own (--auth-token's "ttl=5m"), read by the same parser as duration():
  // InvalidArgument carrying Go's detail ("parse error") if `text` is not one.
  virtual Status parseDuration(std::string_view text, std::chrono::nanoseconds* out) const = 0;
};

}  // namespace cairn
