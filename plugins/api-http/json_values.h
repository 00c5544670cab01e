// Splits a request body that holds a sequence of JSON values, as the
// gateway's streaming routes read it: etcd's gateway decodes one message
// after another from the body (Go's json.Decoder), so `{"create_request":
// {...}} {"cancel_request": {...}}` is two WatchRequests.
#pragma once

#include <string_view>
#include <vector>

namespace cairn::apihttp {

struct JsonValues {
  std::vector<std::string_view> values;  // each a complete top-level value
  // True when the body ends inside a value (or has a stray closing bracket):
  // the values before it are still delivered, as Go's decoder delivers them
  // before it fails.
  bool truncated = false;
};

// Finds where each top-level value of `body` begins and ends. Only the
// structure (brackets, strings, escapes) is checked here; protobuf's JSON
// parser validates each value.
JsonValues splitJsonValues(std::string_view body);

}  // namespace cairn::apihttp
