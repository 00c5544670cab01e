// Small JSON texts the plugin writes itself (error bodies), quoted as Go's
// encoding/json quotes strings, so bodies match etcd's byte for byte.
#pragma once

#include <string>
#include <string_view>

namespace cairn::apihttp {

// `s` as a JSON string literal, quotes included. Like Go, escapes <, > and &
// as \u003c, \u003e, \u0026, control characters as \n, \r, \t or \u00XX, and
// U+2028/U+2029; invalid UTF-8 bytes become \ufffd.
std::string goJsonQuote(std::string_view s);

}  // namespace cairn::apihttp
