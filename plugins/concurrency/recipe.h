// The key layout and KV requests of etcd's lock and election recipes
// (clientv3/concurrency), shared by the Lock and Election services.
//
// These are the rules that make the services and the client-side recipes
// (`etcdctl lock`, `etcdctl elect`, Go's concurrency.Mutex/Election) exclude
// one another: a participant owns the key `<name>/<lease id in hex>` bound to
// its lease, and participants are ordered by the key's create revision. The
// lowest create revision under `<name>/` holds the lock (or leads); every
// other one waits until each key created before its own is gone. The owned
// key's create revision is also the owner's fencing token (docs/locks.md).
//
// Everything here builds etcd's own requests field for field, so a Cairn
// member and an etcd member see the same reads and writes from a service.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "etcdserverpb/rpc.pb.h"

namespace cairn::concurrency {

// A session lease granted for a call that names no lease (lease 0): etcd's
// service opens a concurrency.Session, which grants one with this TTL.
inline constexpr int64_t kDefaultSessionTtl = 60;

// `name + "/"`: every participant's key lives under it.
std::string keyPrefix(std::string_view name);

// The key a participant holding `lease` owns: prefix + Go's %x of the lease id
// (a negative id prints as "-" and the hex of its magnitude, as Go does).
std::string ownerKey(std::string_view prefix, int64_t lease);

// The end of the range of every key starting with `prefix` (clientv3's
// GetPrefixRangeEnd): the prefix with its last byte below 0xff incremented
// and the rest dropped; "\0" (to the end of the keyspace) if there is none.
std::string prefixRangeEnd(std::string_view prefix);

// Range of the participant with the lowest create revision under `prefix`
// (clientv3's WithFirstCreate): the lock holder or the election leader.
etcdserverpb::RangeRequest firstCreated(std::string_view prefix);

// Range of the participant with the highest create revision not above
// `maxCreateRev` (WithLastCreate + WithMaxCreateRev): the immediate
// predecessor of a waiter whose key was created at maxCreateRev + 1.
etcdserverpb::RangeRequest lastCreatedUpTo(std::string_view prefix, int64_t maxCreateRev);

// A point range of `key`.
etcdserverpb::RangeRequest rangeOf(std::string_view key);

// Compare: create_revision(key) == rev (0: the key does not exist).
etcdserverpb::Compare createRevisionIs(std::string_view key, int64_t rev);

etcdserverpb::RequestOp opPut(std::string_view key, std::string_view value, int64_t lease);
etcdserverpb::RequestOp opRange(etcdserverpb::RangeRequest range);
etcdserverpb::RequestOp opDelete(std::string_view key);

// Mutex.Lock's one round trip: if `key` does not exist, create it (empty
// value, bound to `lease`), else read it; either way read the holder.
// Responses: [0] put or range of key, [1] the holder (firstCreated).
etcdserverpb::TxnRequest lockTxn(std::string_view prefix, std::string_view key, int64_t lease);

// Election.Campaign: create `key` with `value` bound to `lease` if it does
// not exist, else read it (responses[0] is then its range).
etcdserverpb::TxnRequest campaignTxn(std::string_view key, std::string_view value, int64_t lease);

// Election.Proclaim: rewrite the leader key's value, only while it is still
// the key created at `rev` (a leader that lost its key must not recreate it).
etcdserverpb::TxnRequest proclaimTxn(std::string_view key, int64_t rev, std::string_view value,
                                     int64_t lease);

// Election.Resign: delete the leader key, only while it is the one created
// at `rev`.
etcdserverpb::TxnRequest resignTxn(std::string_view key, int64_t rev);

}  // namespace cairn::concurrency
