// KvStore::hashKv, etcd's HashByRev (see kv_store.h).
#include "cairn/crc32c.h"
#include "cairn/errors.h"
#include "kv_store.h"

namespace cairn::mvcc {
namespace {

// etcd 3.4's buckets, in bbolt's (byte) order.
constexpr std::string_view kEtcdBuckets[] = {
    "alarm", "auth",  "authRoles", "authUsers",       "cluster",
    "key",   "lease", "members",   "members_removed", "meta",
};

}  // namespace

Status KvStore::hashKv(int64_t rev, KvHash* out) const {
  RevisionSet keep;
  std::unique_ptr<storage::ReadTxn> txn;
  {
    // As etcd under its store mutex: the revisions, the keep set and the
    // backend snapshot are taken together, so compaction cannot move
    // between them.
    std::shared_lock compactGate(compactMu_);
    std::shared_lock lock(indexMu_);
    out->compactRev = compactMainRev_.load(std::memory_order_acquire);
    out->currentRev = currentRev_.load(std::memory_order_acquire);
    if (rev > 0 && rev <= out->compactRev) return Status(Error::Compacted);
    if (rev > 0 && rev > out->currentRev) return Status(Error::FutureRev);
    if (rev == 0) rev = out->currentRev;
    keep = index_.keep(rev);
    txn = backend_.beginRead();
  }
  Crc32c crc;
  crc.process_bytes(storage::kKeyBucket.data(), storage::kKeyBucket.size());
  const Revision upper{rev + 1, 0};
  const Revision lower{out->compactRev + 1, 0};
  Status bad = Status::ok();
  Status st = txn->range(
      storage::kKeyBucket, "", "", 0, false, [&](std::string_view key, std::string_view value) {
        Revision kr;
        if (!bytesToRevision(key, &kr)) {
          bad = Status(StatusCode::Internal, "mvcc: malformed revision key in the key bucket");
          return false;
        }
        if (!(kr < upper)) return true;
        // Revisions the pending compaction deletes are
        // left out; with nothing kept, nothing is.
        if (kr < lower && !keep.empty() && keep.count(kr) == 0) return true;
        crc.process_bytes(key.data(), key.size());
        crc.process_bytes(value.data(), value.size());
        return true;
      });
  if (!st) return st;
  if (!bad) return bad;
  out->hash = crc.checksum();
  return Status::ok();
}

Status KvStore::hash(KvHash* out) const {
  std::unique_ptr<storage::ReadTxn> txn;
  {
    // The revision and the backend snapshot are taken together.
    std::shared_lock lock(indexMu_);
    out->compactRev = compactMainRev_.load(std::memory_order_acquire);
    out->currentRev = currentRev_.load(std::memory_order_acquire);
    txn = backend_.beginRead();
  }
  Crc32c crc;
  for (std::string_view bucket : kEtcdBuckets) {
    bool seen = false;
    Status st =
        txn->range(bucket, "", "", 0, false, [&](std::string_view key, std::string_view value) {
          if (!seen) {
            // bbolt lists a bucket that exists; an empty
            // one here cannot be told from a missing one.
            crc.process_bytes(bucket.data(), bucket.size());
            seen = true;
          }
          if (bucket == storage::kMetaBucket && key == kConsistentIndexKey) {
            return true;
          }
          crc.process_bytes(key.data(), key.size());
          crc.process_bytes(value.data(), value.size());
          return true;
        });
    if (!st) return st;
  }
  out->hash = crc.checksum();
  return Status::ok();
}

}  // namespace cairn::mvcc
