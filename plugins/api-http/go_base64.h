// Base64 as Go's encoding/json decodes a []byte field: the standard
// alphabet with '=' padding required, CR and LF skipped anywhere, and the
// error naming the first bad byte's offset, so a bad "key" gets etcd's own
// "illegal base64 data at input byte N".
//
// Hand-written because the decoders at hand (protobuf's JSON parser, Boost's
// beast::detail one) accept other alphabets, missing padding or trailing
// bytes, and none reports Go's offsets.
#pragma once

#include <string>
#include <string_view>

namespace cairn::apihttp {

// Decodes `text` into *out. False, with Go's error text in *error, when
// `text` is not valid; *out then holds nothing useful.
bool goBase64Decode(std::string_view text, std::string* out, std::string* error);

}  // namespace cairn::apihttp
