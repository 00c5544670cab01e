// TokenOptions: the --auth-token value, "simple" or
// "jwt,pub-key=...,priv-key=...,sign-method=...[,ttl=...]", split as etcd
// splits it (type first, then key=value pairs, no duplicates).
#pragma once

#include <map>
#include <string>

#include "cairn/status.h"

namespace cairn::auth {

struct TokenOptions {
  std::string type;
  std::map<std::string, std::string> options;
};

// InvalidArgument "auth: invalid auth options" for a malformed value, as
// etcd refuses to start with it.
Status parseTokenOptions(const std::string& text, TokenOptions* out);

}  // namespace cairn::auth
