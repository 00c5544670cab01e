// FakeKv: a KvGateway over an in-memory map, enough of etcd's semantics for
// the `cairn` API tests (single-revision writes, prefix ranges, txn compares
// on value, version and mod revision).
#pragma once

#include <map>
#include <string>

#include "kv_gateway.h"

namespace cairn::luahooks::test {

class FakeKv final : public KvGateway {
 public:
  std::map<std::string, mvccpb::KeyValue> keys;
  int64_t revision = 1;
  int64_t nextLease = 100;
  Status failWith;  // when not OK, every call answers it

  Status range(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse* out) override {
    if (!failWith) return failWith;
    for (const auto& [k, kv] : keys) {
      if (!inRange(k, req.key(), req.range_end())) continue;
      if (req.limit() > 0 && out->kvs_size() >= req.limit()) {
        out->set_more(true);
        break;
      }
      *out->add_kvs() = kv;
    }
    out->mutable_header()->set_revision(revision);
    return Status::ok();
  }

  Status put(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* out) override {
    if (!failWith) return failWith;
    ++revision;
    write(req);
    out->mutable_header()->set_revision(revision);
    return Status::ok();
  }

  Status deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                     etcdserverpb::DeleteRangeResponse* out) override {
    if (!failWith) return failWith;
    const int64_t n = erase(req.key(), req.range_end());
    if (n > 0) ++revision;
    out->set_deleted(n);
    out->mutable_header()->set_revision(revision);
    return Status::ok();
  }

  Status txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* out) override {
    if (!failWith) return failWith;
    bool ok = true;
    for (const auto& c : req.compare()) ok = ok && holds(c);
    const auto& ops = ok ? req.success() : req.failure();
    bool wrote = false;
    for (const auto& op : ops)
      wrote = wrote || op.has_request_put() || op.has_request_delete_range();
    if (wrote) ++revision;
    for (const auto& op : ops) {
      auto* r = out->add_responses();
      if (op.has_request_put()) {
        write(op.request_put());
        r->mutable_response_put();
      } else if (op.has_request_delete_range()) {
        r->mutable_response_delete_range()->set_deleted(
            erase(op.request_delete_range().key(), op.request_delete_range().range_end()));
      } else {
        range(op.request_range(), r->mutable_response_range());
      }
    }
    out->set_succeeded(ok);
    out->mutable_header()->set_revision(revision);
    return Status::ok();
  }

  Status leaseGrant(const etcdserverpb::LeaseGrantRequest& req,
                    etcdserverpb::LeaseGrantResponse* out) override {
    if (!failWith) return failWith;
    out->set_id(nextLease++);
    out->set_ttl(req.ttl());
    return Status::ok();
  }

  std::string value(const std::string& key) const {
    auto it = keys.find(key);
    return it == keys.end() ? "<none>" : it->second.value();
  }

 private:
  static bool inRange(const std::string& k, const std::string& key, const std::string& end) {
    if (end.empty()) return k == key;
    if (end == std::string(1, '\0')) return k >= key;
    return k >= key && k < end;
  }

  void write(const etcdserverpb::PutRequest& req) {
    mvccpb::KeyValue& kv = keys[req.key()];
    if (kv.version() == 0) kv.set_create_revision(revision);
    kv.set_key(req.key());
    kv.set_value(req.value());
    kv.set_mod_revision(revision);
    kv.set_version(kv.version() + 1);
    kv.set_lease(req.lease());
  }

  int64_t erase(const std::string& key, const std::string& end) {
    int64_t n = 0;
    for (auto it = keys.begin(); it != keys.end();) {
      if (inRange(it->first, key, end)) {
        it = keys.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  bool holds(const etcdserverpb::Compare& c) const {
    auto it = keys.find(c.key());
    const mvccpb::KeyValue none;
    const mvccpb::KeyValue& kv = it == keys.end() ? none : it->second;
    int cmp = 0;
    switch (c.target()) {
      case etcdserverpb::Compare::VALUE:
        cmp = kv.value().compare(c.value());
        break;
      case etcdserverpb::Compare::VERSION:
        cmp = kv.version() < c.version() ? -1 : kv.version() > c.version();
        break;
      case etcdserverpb::Compare::MOD:
        cmp = kv.mod_revision() < c.mod_revision() ? -1 : kv.mod_revision() > c.mod_revision();
        break;
      default:
        cmp = kv.create_revision() < c.create_revision()
                  ? -1
                  : kv.create_revision() > c.create_revision();
    }
    switch (c.result()) {
      case etcdserverpb::Compare::EQUAL:
        return cmp == 0;
      case etcdserverpb::Compare::NOT_EQUAL:
        return cmp != 0;
      case etcdserverpb::Compare::LESS:
        return cmp < 0;
      default:
        return cmp > 0;
    }
  }
};

}  // namespace cairn::luahooks::test
