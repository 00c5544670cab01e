// The "lease" bucket: key = 8-byte big-endian lease id, value = serialized
// leasepb.Lease {ID, TTL, RemainingTTL}, byte-compatible with etcd's backend.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "lease/lease.h"

namespace cairn::lease {

std::string leaseKey(int64_t id);

// Adds the record of `lease` (id, ttl, remainingTtl) to `batch`.
void persist(const Lease& lease, storage::WriteBatch& batch);
// Adds the deletion of lease `id`'s record to `batch`.
void erase(int64_t id, storage::WriteBatch& batch);

// Parses one bucket entry into `out` (keys and expiry left empty/forever).
Status decodeLease(std::string_view key, std::string_view value, Lease* out);

}  // namespace cairn::lease
