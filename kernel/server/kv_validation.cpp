#include "kv_validation.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::server {
namespace {

using etcdserverpb::RequestOp;

// An interval of keys compared the way etcd's interval tree compares its
// string intervals: the empty string is above every other key (open end).
// Why hand-written instead of a tree: the sets are tiny (at most maxTxnOps
// deletes), so a list with etcd's exact overlap rule is simpler and behaves
// identically, including for odd intervals such as [k, "\0") that overlap
// nothing.
struct Interval {
  std::string begin;
  std::string end;
};

int affineCompare(std::string_view a, std::string_view b) {
  if (a.empty()) return b.empty() ? 0 : 1;
  if (b.empty()) return -1;
  return a < b ? -1 : (a > b ? 1 : 0);
}

bool overlaps(const Interval& a, const Interval& b) {
  if (affineCompare(a.begin, b.begin) < 0 && affineCompare(a.end, b.begin) <= 0) return false;
  if (affineCompare(a.begin, b.end) >= 0) return false;
  return true;
}

Interval point(const std::string& k) {
  return Interval{k, k + std::string(1, '\0')};
}

bool intersects(const std::vector<Interval>& set, const Interval& iv) {
  for (const Interval& x : set) {
    if (overlaps(iv, x)) return true;
  }
  return false;
}

Status checkRequestOp(const RequestOp& u, int64_t maxTxnOps);

Status checkTxn(const etcdserverpb::TxnRequest& r, int64_t maxTxnOps) {
  int64_t opc = r.compare_size();
  if (opc < r.success_size()) opc = r.success_size();
  if (opc < r.failure_size()) opc = r.failure_size();
  if (opc > maxTxnOps) return Status(Error::TooManyOps);
  for (const auto& c : r.compare()) {
    if (c.key().empty()) return Status(Error::EmptyKey);
  }
  for (const auto& u : r.success()) {
    if (Status s = checkRequestOp(u, maxTxnOps - opc); !s) return s;
  }
  for (const auto& u : r.failure()) {
    if (Status s = checkRequestOp(u, maxTxnOps - opc); !s) return s;
  }
  return Status::ok();
}

Status checkRequestOp(const RequestOp& u, int64_t maxTxnOps) {
  switch (u.request_case()) {
    case RequestOp::kRequestRange:
      return checkRangeRequest(u.request_range());
    case RequestOp::kRequestPut:
      return checkPutRequest(u.request_put());
    case RequestOp::kRequestDeleteRange:
      return checkDeleteRequest(u.request_delete_range());
    case RequestOp::kRequestTxn:
      return checkTxn(u.request_txn(), maxTxnOps);
    default:
      // An empty op: etcd answers "key not found".
      return Status(Error::KeyNotFound);
  }
}

// etcd's checkIntervals: within one branch (and the branches of its nested
// txns) no key may be put twice, nor put and deleted. A key put in both the
// then and else branch of one nested txn is fine: only one of them runs.
Status checkIntervals(const google::protobuf::RepeatedPtrField<RequestOp>& reqs,
                      std::set<std::string>* puts, std::vector<Interval>* dels) {
  for (const auto& req : reqs) {
    if (req.request_case() != RequestOp::kRequestDeleteRange) continue;
    const auto& d = req.request_delete_range();
    dels->push_back(d.range_end().empty() ? point(d.key()) : Interval{d.key(), d.range_end()});
  }
  const Interval everything{std::string(1, '\0'), ""};
  for (const auto& req : reqs) {
    if (req.request_case() != RequestOp::kRequestTxn) continue;
    std::set<std::string> putsThen, putsElse;
    std::vector<Interval> delsThen, delsElse;
    if (Status s = checkIntervals(req.request_txn().success(), &putsThen, &delsThen); !s) return s;
    if (Status s = checkIntervals(req.request_txn().failure(), &putsElse, &delsElse); !s) return s;
    for (const std::string& k : putsThen) {
      if (puts->count(k) != 0 || intersects(*dels, point(k))) return Status(Error::DuplicateKey);
      puts->insert(k);
    }
    for (const std::string& k : putsElse) {
      if (puts->count(k) != 0 && putsThen.count(k) == 0) return Status(Error::DuplicateKey);
      if (intersects(*dels, point(k))) return Status(Error::DuplicateKey);
      puts->insert(k);
    }
    // Nested deletes join this level's set (etcd keeps those overlapping
    // ["\0", +inf), i.e. all but degenerate ones).
    for (const auto* nested : {&delsThen, &delsElse}) {
      for (const Interval& iv : *nested) {
        if (overlaps(everything, iv)) dels->push_back(iv);
      }
    }
  }
  for (const auto& req : reqs) {
    if (req.request_case() != RequestOp::kRequestPut) continue;
    const std::string& k = req.request_put().key();
    if (puts->count(k) != 0 || intersects(*dels, point(k))) return Status(Error::DuplicateKey);
    puts->insert(k);
  }
  return Status::ok();
}

bool validSortTarget(int v) {
  return etcdserverpb::RangeRequest_SortTarget_IsValid(v);
}

}  // namespace

Status checkRangeRequest(const etcdserverpb::RangeRequest& r) {
  if (r.key().empty()) return Status(Error::EmptyKey);
  // etcd 3.4 leaves a range with an unknown sort order unsorted (so does
  // Cairn); a range it would sort by an unknown target finds no sorter, and
  // etcd's member panics on it, so Cairn refuses that one.
  auto order = r.sort_order();
  if (r.sort_target() != etcdserverpb::RangeRequest::KEY &&
      order == etcdserverpb::RangeRequest::NONE) {
    order = etcdserverpb::RangeRequest::ASCEND;
  }
  const bool sorts =
      order == etcdserverpb::RangeRequest::ASCEND || order == etcdserverpb::RangeRequest::DESCEND;
  if (sorts && !validSortTarget(r.sort_target())) return Status(Error::InvalidSortOption);
  return Status::ok();
}

Status checkPutRequest(const etcdserverpb::PutRequest& r) {
  if (r.key().empty()) return Status(Error::EmptyKey);
  if (r.ignore_value() && !r.value().empty()) return Status(Error::ValueProvided);
  if (r.ignore_lease() && r.lease() != 0) return Status(Error::LeaseProvided);
  return Status::ok();
}

Status checkDeleteRequest(const etcdserverpb::DeleteRangeRequest& r) {
  if (r.key().empty()) return Status(Error::EmptyKey);
  return Status::ok();
}

Status checkTxnRequest(const etcdserverpb::TxnRequest& r, uint32_t maxTxnOps) {
  if (Status s = checkTxn(r, static_cast<int64_t>(maxTxnOps)); !s) return s;
  for (const auto* branch : {&r.success(), &r.failure()}) {
    std::set<std::string> puts;
    std::vector<Interval> dels;
    if (Status s = checkIntervals(*branch, &puts, &dels); !s) return s;
  }
  return Status::ok();
}

}  // namespace cairn::server
