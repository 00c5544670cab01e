#include "kv_applier.h"

#include <algorithm>
#include <memory>

#include "cairn/errors.h"
#include "kv_validation.h"
#include "mvcc/read_txn.h"

namespace cairn::server {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

int compareInt64(int64_t a, int64_t b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

bool compareKv(const Compare& c, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (c.target()) {
    case Compare::VALUE: {
      const std::string& v = c.target_union_case() == Compare::kValue ? c.value() : std::string();
      result = kv.value().compare(v);
      result = result < 0 ? -1 : (result > 0 ? 1 : 0);
      break;
    }
    case Compare::CREATE:
      result =
          compareInt64(kv.create_revision(),
                       c.target_union_case() == Compare::kCreateRevision ? c.create_revision() : 0);
      break;
    case Compare::MOD:
      result = compareInt64(kv.mod_revision(),
                            c.target_union_case() == Compare::kModRevision ? c.mod_revision() : 0);
      break;
    case Compare::VERSION:
      result =
          compareInt64(kv.version(), c.target_union_case() == Compare::kVersion ? c.version() : 0);
      break;
    case Compare::LEASE:
      result = compareInt64(kv.lease(), c.target_union_case() == Compare::kLease ? c.lease() : 0);
      break;
    default:
      break;
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return result == 0;
    case Compare::NOT_EQUAL:
      return result != 0;
    case Compare::GREATER:
      return result > 0;
    case Compare::LESS:
      return result < 0;
    default:
      return true;
  }
}

bool applyCompare(mvcc::ReadView& view, const Compare& c) {
  mvcc::RangeResult rr;
  if (!view.range(c.key(), c.range_end(), mvcc::RangeOptions{}, &rr)) return false;
  if (rr.kvs.empty()) {
    // A missing key has no value to compare (gRPC cannot tell "" from unset),
    // but its revisions, version and lease compare as 0.
    if (c.target() == Compare::VALUE) return false;
    return compareKv(c, mvccpb::KeyValue());
  }
  for (const auto& kv : rr.kvs) {
    if (!compareKv(c, kv)) return false;
  }
  return true;
}

// The outcome of every compare on the path the txn will take, nested txns
// included, in pre-order; all evaluated before any op runs.
void compareToPath(mvcc::ReadView& view, const TxnRequest& req, std::vector<bool>* path) {
  bool ok = true;
  for (const auto& c : req.compare()) {
    if (!applyCompare(view, c)) {
      ok = false;
      break;
    }
  }
  path->push_back(ok);
  for (const auto& op : ok ? req.success() : req.failure()) {
    if (op.request_case() == RequestOp::kRequestTxn) compareToPath(view, op.request_txn(), path);
  }
}

// Calls `check` on every non-txn op of the chosen path.
template <typename F>
Status checkRequests(const TxnRequest& req, const std::vector<bool>& path, std::size_t* pos,
                     F&& check) {
  const bool ok = path[(*pos)++];
  for (const auto& op : ok ? req.success() : req.failure()) {
    if (op.request_case() == RequestOp::kRequestTxn) {
      if (Status s = checkRequests(op.request_txn(), path, pos, check); !s) return s;
      continue;
    }
    if (Status s = check(op); !s) return s;
  }
  return Status::ok();
}

Status checkRange(const mvcc::ReadView& view, const RequestOp& op) {
  if (op.request_case() != RequestOp::kRequestRange) return Status::ok();
  const int64_t rev = op.request_range().revision();
  if (rev == 0) return Status::ok();
  if (rev > view.rev()) return Status(Error::FutureRev);
  if (rev < view.firstRev()) return Status(Error::Compacted);
  return Status::ok();
}

// The sort key of one KeyValue for a sort target, as a three-way compare.
int compareBy(RangeRequest::SortTarget target, const mvccpb::KeyValue& a,
              const mvccpb::KeyValue& b) {
  switch (target) {
    case RangeRequest::KEY:
      return a.key().compare(b.key());
    case RangeRequest::VERSION:
      return compareInt64(a.version(), b.version());
    case RangeRequest::CREATE:
      return compareInt64(a.create_revision(), b.create_revision());
    case RangeRequest::MOD:
      return compareInt64(a.mod_revision(), b.mod_revision());
    case RangeRequest::VALUE:
      return a.value().compare(b.value());
    default:
      return 0;
  }
}

}  // namespace

KvApplier::KvApplier(mvcc::KvStore& store, LeaseExists leaseExists, Options options)
    : store_(store), leaseExists_(std::move(leaseExists)), options_(options) {}

bool KvApplier::isTxnReadOnly(const TxnRequest& req) {
  for (const auto* ops : {&req.success(), &req.failure()}) {
    for (const auto& op : *ops) {
      if (op.request_case() != RequestOp::kRequestRange) return false;
    }
  }
  return true;
}

bool KvApplier::isTxnSerializable(const TxnRequest& req) {
  for (const auto* ops : {&req.success(), &req.failure()}) {
    for (const auto& op : *ops) {
      if (op.request_case() != RequestOp::kRequestRange || !op.request_range().serializable()) {
        return false;
      }
    }
  }
  return true;
}

Status KvApplier::rangeOn(mvcc::ReadView& view, const RangeRequest& req,
                          etcdserverpb::RangeResponse* resp) {
  int64_t limit = req.limit();
  // Sorting and revision filters need every match; truncate afterwards.
  if (req.sort_order() != RangeRequest::NONE || req.min_mod_revision() != 0 ||
      req.max_mod_revision() != 0 || req.min_create_revision() != 0 ||
      req.max_create_revision() != 0) {
    limit = 0;
  }
  if (limit > 0) ++limit;  // one extra tells whether there is more

  mvcc::RangeOptions ro;
  ro.limit = limit;
  ro.rev = req.revision();
  ro.countOnly = req.count_only();
  mvcc::RangeResult rr;
  if (Status s = view.range(req.key(), req.range_end(), ro, &rr); !s) return s;

  auto prune = [&](auto&& drop) {
    rr.kvs.erase(std::remove_if(rr.kvs.begin(), rr.kvs.end(), drop), rr.kvs.end());
  };
  if (req.max_mod_revision() != 0) {
    prune([&](const mvccpb::KeyValue& kv) { return kv.mod_revision() > req.max_mod_revision(); });
  }
  if (req.min_mod_revision() != 0) {
    prune([&](const mvccpb::KeyValue& kv) { return kv.mod_revision() < req.min_mod_revision(); });
  }
  if (req.max_create_revision() != 0) {
    prune([&](const mvccpb::KeyValue& kv) {
      return kv.create_revision() > req.max_create_revision();
    });
  }
  if (req.min_create_revision() != 0) {
    prune([&](const mvccpb::KeyValue& kv) {
      return kv.create_revision() < req.min_create_revision();
    });
  }

  RangeRequest::SortOrder order = req.sort_order();
  // Results come ascending by key; any other target with no order means ascending.
  if (req.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) {
    order = RangeRequest::ASCEND;
  }
  // Stable sorts: ties keep key order, as etcd's insertion sort of small
  // results does.
  const RangeRequest::SortTarget target = req.sort_target();
  if (order == RangeRequest::ASCEND) {
    std::stable_sort(rr.kvs.begin(), rr.kvs.end(),
                     [&](const auto& a, const auto& b) { return compareBy(target, a, b) < 0; });
  } else if (order == RangeRequest::DESCEND) {
    std::stable_sort(rr.kvs.begin(), rr.kvs.end(),
                     [&](const auto& a, const auto& b) { return compareBy(target, a, b) > 0; });
  }

  if (req.limit() > 0 && static_cast<int64_t>(rr.kvs.size()) > req.limit()) {
    rr.kvs.resize(static_cast<std::size_t>(req.limit()));
    resp->set_more(true);
  }
  resp->mutable_header()->set_revision(rr.rev);
  resp->set_count(rr.count);
  auto* kvs = resp->mutable_kvs();
  kvs->Reserve(static_cast<int>(rr.kvs.size()));
  for (auto& kv : rr.kvs) {
    if (req.keys_only()) kv.clear_value();
    *kvs->Add() = std::move(kv);
  }
  return Status::ok();
}

Status KvApplier::range(const RangeRequest& req, etcdserverpb::RangeResponse* resp) const {
  std::unique_ptr<mvcc::ReadTxn> view = store_.read();
  return rangeOn(*view, req, resp);
}

Status KvApplier::putOn(mvcc::WriteTxn& txn, const etcdserverpb::PutRequest& req,
                        etcdserverpb::PutResponse* resp) const {
  std::string_view value = req.value();
  int64_t lease = req.lease();
  mvcc::RangeResult rr;
  if (req.ignore_value() || req.ignore_lease() || req.prev_kv()) {
    if (Status s = txn.range(req.key(), "", mvcc::RangeOptions{}, &rr); !s) return s;
  }
  if ((req.ignore_value() || req.ignore_lease()) && rr.kvs.empty())
    return Status(Error::KeyNotFound);
  if (req.ignore_value()) value = rr.kvs[0].value();
  if (req.ignore_lease()) lease = rr.kvs[0].lease();
  if (req.prev_kv() && !rr.kvs.empty()) *resp->mutable_prev_kv() = rr.kvs[0];
  int64_t rev = 0;
  if (Status s = txn.put(req.key(), value, lease, &rev); !s) return s;
  resp->mutable_header()->set_revision(rev);
  return Status::ok();
}

Status KvApplier::deleteOn(mvcc::WriteTxn& txn, const etcdserverpb::DeleteRangeRequest& req,
                           etcdserverpb::DeleteRangeResponse* resp) const {
  if (req.prev_kv()) {
    mvcc::RangeResult rr;
    if (Status s = txn.range(req.key(), req.range_end(), mvcc::RangeOptions{}, &rr); !s) return s;
    for (auto& kv : rr.kvs) *resp->add_prev_kvs() = std::move(kv);
  }
  int64_t deleted = 0;
  int64_t rev = 0;
  if (Status s = txn.deleteRange(req.key(), req.range_end(), &deleted, &rev); !s) return s;
  resp->set_deleted(deleted);
  resp->mutable_header()->set_revision(rev);
  return Status::ok();
}

Status KvApplier::put(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* resp,
                      uint64_t consistentIndex, std::vector<mvccpb::Event>* events) {
  if (req.lease() != 0 && !leaseExists(req.lease())) return Status(Error::LeaseNotFound);
  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  if (Status s = putOn(*txn, req, resp); !s) return s;
  if (Status s = txn->end(consistentIndex); !s) return s;
  if (events) txn->moveEventsTo(events);
  return Status::ok();
}

Status KvApplier::deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                              etcdserverpb::DeleteRangeResponse* resp, uint64_t consistentIndex,
                              std::vector<mvccpb::Event>* events) {
  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  if (Status s = deleteOn(*txn, req, resp); !s) return s;
  if (Status s = txn->end(consistentIndex); !s) return s;
  if (events) txn->moveEventsTo(events);
  return Status::ok();
}

Status KvApplier::checkPut(mvcc::ReadView& view, const etcdserverpb::PutRequest& req) const {
  if (req.ignore_value() || req.ignore_lease()) {
    mvcc::RangeResult rr;
    if (Status s = view.range(req.key(), "", mvcc::RangeOptions{}, &rr); !s) return s;
    if (rr.kvs.empty()) return Status(Error::KeyNotFound);
  }
  if (req.lease() != 0 && !leaseExists(req.lease())) return Status(Error::LeaseNotFound);
  return Status::ok();
}

Status KvApplier::applyOps(mvcc::ReadView& view, mvcc::WriteTxn* wtxn, const TxnRequest& req,
                           const std::vector<bool>& path, std::size_t* pos,
                           etcdserverpb::TxnResponse* resp) const {
  const bool ok = path[(*pos)++];
  resp->set_succeeded(ok);
  // Every (nested) txn response carries a header; only the outermost one's
  // revision is set, by the caller.
  resp->mutable_header();
  for (const auto& op : ok ? req.success() : req.failure()) {
    etcdserverpb::ResponseOp* r = resp->add_responses();
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        if (Status s = rangeOn(view, op.request_range(), r->mutable_response_range()); !s) {
          return s;  // etcd panics: the checks before the ops should have caught it
        }
        break;
      case RequestOp::kRequestPut:
        if (Status s = putOn(*wtxn, op.request_put(), r->mutable_response_put()); !s) {
          return s;  // etcd panics: the checks before the ops should have caught it
        }
        break;
      case RequestOp::kRequestDeleteRange:
        if (Status s =
                deleteOn(*wtxn, op.request_delete_range(), r->mutable_response_delete_range());
            !s) {
          return s;  // etcd panics: the checks before the ops should have caught it
        }
        break;
      case RequestOp::kRequestTxn:
        if (Status s = applyOps(view, wtxn, op.request_txn(), path, pos, r->mutable_response_txn());
            !s) {
          return s;
        }
        break;
      default:
        break;  // an empty op yields an empty response
    }
  }
  return Status::ok();
}

Status KvApplier::runTxn(mvcc::ReadView& view, mvcc::WriteTxn* wtxn, const TxnRequest& req,
                         etcdserverpb::TxnResponse* resp) const {
  std::vector<bool> path;
  compareToPath(view, req, &path);
  std::size_t pos = 0;
  if (wtxn != nullptr) {
    Status s = checkRequests(req, path, &pos, [&](const RequestOp& op) {
      return op.request_case() == RequestOp::kRequestPut ? checkPut(view, op.request_put())
                                                         : Status::ok();
    });
    if (!s) return s;
  }
  pos = 0;
  Status s =
      checkRequests(req, path, &pos, [&](const RequestOp& op) { return checkRange(view, op); });
  if (!s) return s;
  pos = 0;
  return applyOps(view, wtxn, req, path, &pos, resp);
}

Status KvApplier::txn(const TxnRequest& req, etcdserverpb::TxnResponse* resp,
                      uint64_t consistentIndex, std::vector<mvccpb::Event>* events) {
  // The write txn is also the read view: the apply thread is the only writer,
  // so before its first change it shows exactly the current state.
  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  if (Status s = runTxn(*txn, txn.get(), req, resp); !s) return s;
  const int64_t rev = txn->viewRevision();
  if (Status s = txn->end(consistentIndex); !s) return s;
  resp->mutable_header()->set_revision(rev);
  if (events) txn->moveEventsTo(events);
  return Status::ok();
}

Status KvApplier::readOnlyTxn(const TxnRequest& req, etcdserverpb::TxnResponse* resp) const {
  if (!isTxnReadOnly(req)) {
    return Status(StatusCode::FailedPrecondition, "cairn: txn with writes must go through raft");
  }
  std::unique_ptr<mvcc::ReadTxn> view = store_.read();
  if (Status s = runTxn(*view, nullptr, req, resp); !s) return s;
  resp->mutable_header()->set_revision(view->rev());
  return Status::ok();
}

Status KvApplier::compaction(const etcdserverpb::CompactionRequest& req,
                             etcdserverpb::CompactionResponse* resp, uint64_t consistentIndex) {
  if (Status s = store_.compact(req.revision(), consistentIndex); !s) return s;
  if (options_.inlinePhysicalCompaction) {
    if (Status s = store_.runPendingCompactions(); !s) return s;
  }
  resp->mutable_header()->set_revision(store_.currentRevision());
  return Status::ok();
}

}  // namespace cairn::server
