#pragma once

#include <cstdint>
#include <string_view>

#include "mvccpb/kv.pb.h"

namespace cairn::bench {

// A 64-bit FNV-1a digest of every field of a KeyValue. Received events are
// reduced to digests as they arrive (10,000 watchers would otherwise keep
// millions of full events) and compared with the model's digests. A false
// match needs a 64-bit collision, which is negligible for this use.
std::uint64_t kvDigest(std::string_view key, std::int64_t createRevision, std::int64_t modRevision,
                       std::int64_t version, std::string_view value, std::int64_t lease);

std::uint64_t kvDigest(const mvccpb::KeyValue& kv);

}  // namespace cairn::bench
