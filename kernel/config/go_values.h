// Parsers and formatters for flag values exactly as Go's `flag` package reads
// them, because etcd's users pass values Go accepts ("0x10", "1_000", "t",
// "1h30m") and see Go's error words ("parse error", "value out of range") when
// a value is wrong. Cairn must accept and reject the same spellings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::config {

// Each parser fails with InvalidArgument whose message is the error detail
// Go's flag package prints after "invalid value ... :" ("parse error",
// "value out of range").
Status parseGoBool(std::string_view text, bool* out);
// strconv.ParseUint/ParseInt with base 0 (prefixes 0x, 0o, 0b, leading-zero
// octal, '_' digit separators), `bits` wide.
Status parseGoUint(std::string_view text, int bits, uint64_t* out);
Status parseGoInt(std::string_view text, int bits, int64_t* out);
// time.ParseDuration; nanoseconds.
Status parseGoDuration(std::string_view text, int64_t* nanos);
// time.Duration.String(): "0s", "100ms", "5s", "2h0m0s".
std::string formatGoDuration(int64_t nanos);

}  // namespace cairn::config
