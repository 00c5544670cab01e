// The JSON the plugin writes: messages as etcd's gateway marshals them, and
// small texts it writes itself (error bodies), quoted as Go's encoding/json
// quotes strings, so bodies match etcd's byte for byte.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

namespace cairn::apihttp {

// `s` as a JSON string literal, quotes included. Like Go, escapes <, > and &
// as \u003c, \u003e, \u0026, control characters as \n, \r, \t or \u00XX, and
// U+2028/U+2029; invalid UTF-8 bytes become \ufffd.
std::string goJsonQuote(std::string_view s);

// `message` as etcd's gateway marshaler (JSONPb{OrigName: true}) writes it:
// proto field names, int64 as strings, bytes as base64, enum names, default
// values left out.
std::string gatewayJson(const google::protobuf::Message& message);

}  // namespace cairn::apihttp
