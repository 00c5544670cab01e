// KvApplier: etcd 3.4's KV request semantics (etcdserver/apply.go) on a
// mvcc::KvStore: the same responses, revision arithmetic and errors.
//
// Write requests (put, deleteRange, txn, compaction) run on the apply thread,
// each as ONE store write transaction committed together with the entry's
// consistent index. On error nothing was written; the server still records
// the entry's consistent index (KvStore::setConsistentIndex), as for any
// entry that writes nothing.
// Reads (range, readOnlyTxn) run on any thread against a consistent snapshot.
//
// Response headers: only `revision` is set here; the server fills cluster_id,
// member_id and raft_term. Statuses carry the exact gRPC code and message.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvcc/kv_store.h"
#include "mvcc/read_view.h"
#include "mvcc/write_txn.h"
#include "mvccpb/kv.pb.h"

namespace cairn::server {

class KvApplier {
 public:
  // Until the lessor exists, whether a lease id is granted comes from here
  // (null: no lease exists). Called on the apply thread.
  using LeaseExists = std::function<bool(int64_t leaseId)>;

  struct Options {
    // Run the physical part of a compaction (deleting superseded revisions)
    // inside compaction(). When false the server runs
    // KvStore::runPendingCompactions() itself, e.g. on a background thread.
    bool inlinePhysicalCompaction = true;
  };

  KvApplier(mvcc::KvStore& store, LeaseExists leaseExists)
      : KvApplier(store, std::move(leaseExists), Options{}) {}
  KvApplier(mvcc::KvStore& store, LeaseExists leaseExists, Options options);

  // --- apply thread; `events` (optional) receives the committed changes ---
  Status put(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* resp,
             uint64_t consistentIndex, std::vector<mvccpb::Event>* events = nullptr);
  Status deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                     etcdserverpb::DeleteRangeResponse* resp, uint64_t consistentIndex,
                     std::vector<mvccpb::Event>* events = nullptr);
  // All ops of the txn (nested ones included) share one revision; compares,
  // nested ones included, are evaluated before any op runs.
  Status txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* resp,
             uint64_t consistentIndex, std::vector<mvccpb::Event>* events = nullptr);
  Status compaction(const etcdserverpb::CompactionRequest& req,
                    etcdserverpb::CompactionResponse* resp, uint64_t consistentIndex);

  // --- any thread ---
  Status range(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse* resp) const;
  // A txn whose branches hold only ranges (isTxnReadOnly), served from one
  // snapshot without raft. FailedPrecondition if the txn has writes.
  Status readOnlyTxn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* resp) const;

  // etcd's routing predicates: a read-only txn is served locally (after
  // ReadIndex unless serializable).
  static bool isTxnReadOnly(const etcdserverpb::TxnRequest& req);
  static bool isTxnSerializable(const etcdserverpb::TxnRequest& req);

  // The Range logic on any view (used for txn ops too).
  static Status rangeOn(mvcc::ReadView& view, const etcdserverpb::RangeRequest& req,
                        etcdserverpb::RangeResponse* resp);

 private:
  Status putOn(mvcc::WriteTxn& txn, const etcdserverpb::PutRequest& req,
               etcdserverpb::PutResponse* resp) const;
  Status deleteOn(mvcc::WriteTxn& txn, const etcdserverpb::DeleteRangeRequest& req,
                  etcdserverpb::DeleteRangeResponse* resp) const;
  Status checkPut(mvcc::ReadView& view, const etcdserverpb::PutRequest& req) const;
  // Runs compares and checks, then the chosen ops; `wtxn` null for read-only.
  Status runTxn(mvcc::ReadView& view, mvcc::WriteTxn* wtxn, const etcdserverpb::TxnRequest& req,
                etcdserverpb::TxnResponse* resp) const;
  Status applyOps(mvcc::ReadView& view, mvcc::WriteTxn* wtxn, const etcdserverpb::TxnRequest& req,
                  const std::vector<bool>& path, std::size_t* pos,
                  etcdserverpb::TxnResponse* resp) const;
  bool leaseExists(int64_t id) const { return leaseExists_ && leaseExists_(id); }

  mvcc::KvStore& store_;
  LeaseExists leaseExists_;
  Options options_;
};

}  // namespace cairn::server
