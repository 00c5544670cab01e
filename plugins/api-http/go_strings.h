// Go's string conventions that the gateway must reproduce: how
// encoding/json unquotes a string literal (escapes, surrogate pairs, U+FFFD
// for what is not UTF-8) and how strconv.Quote prints text in error
// messages. Hand-written for the reason go_json_reader.h gives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::apihttp {

// Appends code point `cp` to `out` as UTF-8.
void appendUtf8(std::string& out, uint32_t cp);

// The length of the valid UTF-8 sequence at s[i], or 0 when the bytes there
// are not one (overlong forms, surrogates and values past U+10FFFF included),
// as Go's utf8.DecodeRune judges them.
size_t utf8SequenceLength(std::string_view s, size_t i);

// Go's unquoting of a JSON string literal that Go's scanner accepted
// (quotes included).
std::string goUnquote(std::string_view literal);

// Go's strconv.Quote of `s` (quotes included).
std::string goQuote(std::string_view s);

}  // namespace cairn::apihttp
