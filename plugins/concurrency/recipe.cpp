#include "recipe.h"

#include <cstdio>

namespace cairn::concurrency {

std::string keyPrefix(std::string_view name) {
  std::string prefix(name);
  prefix += '/';
  return prefix;
}

std::string ownerKey(std::string_view prefix, int64_t lease) {
  // Go formats a signed integer with %x as sign + magnitude; the magnitude is
  // taken in unsigned arithmetic so INT64_MIN does not overflow.
  const bool negative = lease < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(lease) : static_cast<uint64_t>(lease);
  char hex[24];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(magnitude));
  std::string key(prefix);
  if (negative) key += '-';
  key += hex;
  return key;
}

std::string prefixRangeEnd(std::string_view prefix) {
  std::string end(prefix);
  for (size_t i = end.size(); i-- > 0;) {
    if (static_cast<unsigned char>(end[i]) < 0xff) {
      end[i] = static_cast<char>(static_cast<unsigned char>(end[i]) + 1);
      end.resize(i + 1);
      return end;
    }
  }
  return std::string(1, '\0');
}

etcdserverpb::RangeRequest firstCreated(std::string_view prefix) {
  etcdserverpb::RangeRequest r;
  r.set_key(std::string(prefix));
  r.set_range_end(prefixRangeEnd(prefix));
  r.set_limit(1);
  r.set_sort_order(etcdserverpb::RangeRequest::ASCEND);
  r.set_sort_target(etcdserverpb::RangeRequest::CREATE);
  return r;
}

etcdserverpb::RangeRequest lastCreatedUpTo(std::string_view prefix, int64_t maxCreateRev) {
  etcdserverpb::RangeRequest r;
  r.set_key(std::string(prefix));
  r.set_range_end(prefixRangeEnd(prefix));
  r.set_limit(1);
  r.set_sort_order(etcdserverpb::RangeRequest::DESCEND);
  r.set_sort_target(etcdserverpb::RangeRequest::CREATE);
  r.set_max_create_revision(maxCreateRev);
  return r;
}

etcdserverpb::RangeRequest rangeOf(std::string_view key) {
  etcdserverpb::RangeRequest r;
  r.set_key(std::string(key));
  return r;
}

etcdserverpb::Compare createRevisionIs(std::string_view key, int64_t rev) {
  etcdserverpb::Compare c;
  c.set_result(etcdserverpb::Compare::EQUAL);
  c.set_target(etcdserverpb::Compare::CREATE);
  c.set_key(std::string(key));
  c.set_create_revision(rev);
  return c;
}

etcdserverpb::RequestOp opPut(std::string_view key, std::string_view value, int64_t lease) {
  etcdserverpb::RequestOp op;
  auto* put = op.mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  put->set_lease(lease);
  return op;
}

etcdserverpb::RequestOp opRange(etcdserverpb::RangeRequest range) {
  etcdserverpb::RequestOp op;
  *op.mutable_request_range() = std::move(range);
  return op;
}

etcdserverpb::RequestOp opDelete(std::string_view key) {
  etcdserverpb::RequestOp op;
  op.mutable_request_delete_range()->set_key(std::string(key));
  return op;
}

etcdserverpb::TxnRequest lockTxn(std::string_view prefix, std::string_view key, int64_t lease) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = createRevisionIs(key, 0);
  *txn.add_success() = opPut(key, "", lease);
  *txn.add_success() = opRange(firstCreated(prefix));
  *txn.add_failure() = opRange(rangeOf(key));
  *txn.add_failure() = opRange(firstCreated(prefix));
  return txn;
}

etcdserverpb::TxnRequest campaignTxn(std::string_view key, std::string_view value, int64_t lease) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = createRevisionIs(key, 0);
  *txn.add_success() = opPut(key, value, lease);
  *txn.add_failure() = opRange(rangeOf(key));
  return txn;
}

etcdserverpb::TxnRequest proclaimTxn(std::string_view key, int64_t rev, std::string_view value,
                                     int64_t lease) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = createRevisionIs(key, rev);
  *txn.add_success() = opPut(key, value, lease);
  return txn;
}

etcdserverpb::TxnRequest resignTxn(std::string_view key, int64_t rev) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = createRevisionIs(key, rev);
  *txn.add_success() = opDelete(key);
  return txn;
}

}  // namespace cairn::concurrency
