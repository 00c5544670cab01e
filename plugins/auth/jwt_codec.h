// The text parts of a JWT (RFC 7519) as etcd's jwt-go library writes them:
// unpadded base64url, and the flat JSON objects of the header
// ({"alg":...,"typ":"JWT"}) and of etcd's claims ({"exp":...,"revision":...,
// "username":...}, keys in Go's map order). Stateless; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::auth::jwt {

std::string base64UrlEncode(std::string_view bytes);
// nullopt for characters outside the alphabet or a bad length.
std::optional<std::string> base64UrlDecode(std::string_view text);

// A JSON string literal, quoted and escaped.
std::string jsonString(std::string_view s);

// One value of a flat JSON object: a string (unescaped) or a number (its
// text). Nested objects and arrays are not part of etcd's tokens.
struct JsonValue {
  bool isString = false;
  std::string text;
};
// nullopt unless `json` is one flat object of strings, numbers, booleans
// and nulls.
std::optional<std::map<std::string, JsonValue>> parseFlatObject(std::string_view json);

}  // namespace cairn::auth::jwt
