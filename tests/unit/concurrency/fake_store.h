// Fakes the kernel's KV, Lease and Watch services: an in-memory key space on a kernel thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../common/kernel_thread.h"
#include "cairn/host.h"
#include "fake_watch_session.h"

namespace cairn::concurrency::test {

using cairn::test::KernelThread;  // tests/unit/common/kernel_thread.h

class FakeStore final : public KvService, public LeaseService, public WatchService {
 public:
  // ---- KV
  void range(const RequestContext&, const etcdserverpb::RangeRequest& req,
             Done<etcdserverpb::RangeResponse> done) override {
    ++ranges;
    run([this, req, done] {
      etcdserverpb::RangeResponse resp;
      rangeLocked(req, &resp);
      *resp.mutable_header() = header();
      return [done, resp]() mutable { done(Status::ok(), std::move(resp)); };
    });
  }
  void put(const RequestContext&, const etcdserverpb::PutRequest& req,
           Done<etcdserverpb::PutResponse> done) override {
    run([this, req, done] {
      std::vector<mvccpb::Event> evs;
      Status st = putLocked(req, rev_ + 1, &evs);
      if (st) commitLocked(evs);
      etcdserverpb::PutResponse resp;
      *resp.mutable_header() = header();
      return [done, st, resp]() mutable { done(st, std::move(resp)); };
    });
  }
  void deleteRange(const RequestContext&, const etcdserverpb::DeleteRangeRequest& req,
                   Done<etcdserverpb::DeleteRangeResponse> done) override {
    ++deletes;
    run([this, req, done]() -> std::function<void()> {
      etcdserverpb::DeleteRangeResponse resp;
      if (req.key().empty()) {
        return [done]() { done(Status(Error::EmptyKey), {}); };
      }
      std::vector<mvccpb::Event> evs;
      resp.set_deleted(deleteLocked(req.key(), req.range_end(), rev_ + 1, &evs));
      commitLocked(evs);
      *resp.mutable_header() = header();
      return [done, resp]() mutable { done(Status::ok(), std::move(resp)); };
    });
  }
  void txn(const RequestContext&, const etcdserverpb::TxnRequest& req,
           Done<etcdserverpb::TxnResponse> done) override {
    ++txns;
    run([this, req, done] {
      etcdserverpb::TxnResponse resp;
      Status st = txnLocked(req, &resp);
      return [done, st, resp]() mutable { done(st, std::move(resp)); };
    });
  }
  void compact(const RequestContext&, const etcdserverpb::CompactionRequest&,
               Done<etcdserverpb::CompactionResponse>) override {
    std::abort();
  }

  // ---- Lease
  void grant(const RequestContext&, const etcdserverpb::LeaseGrantRequest& req,
             Done<etcdserverpb::LeaseGrantResponse> done) override {
    run([this, req, done] {
      etcdserverpb::LeaseGrantResponse resp;
      const int64_t id = req.id() ? req.id() : nextLease_++;
      leases_[id];
      grantedTtls.push_back(req.ttl());
      resp.set_id(id);
      resp.set_ttl(req.ttl());
      *resp.mutable_header() = header();
      return [done, resp]() mutable { done(Status::ok(), std::move(resp)); };
    });
  }
  void revoke(const RequestContext&, const etcdserverpb::LeaseRevokeRequest& req,
              Done<etcdserverpb::LeaseRevokeResponse> done) override {
    run([this, req, done] {
      Status st = revokeLocked(req.id());
      etcdserverpb::LeaseRevokeResponse resp;
      *resp.mutable_header() = header();
      return [done, st, resp]() mutable { done(st, std::move(resp)); };
    });
  }
  void keepAlive(const RequestContext&, const etcdserverpb::LeaseKeepAliveRequest&,
                 Done<etcdserverpb::LeaseKeepAliveResponse>) override {
    std::abort();  // the services never keep a lease alive (etcd orphans its sessions)
  }
  void timeToLive(const RequestContext&, const etcdserverpb::LeaseTimeToLiveRequest&,
                  Done<etcdserverpb::LeaseTimeToLiveResponse>) override {
    std::abort();
  }
  void leases(const RequestContext&, const etcdserverpb::LeaseLeasesRequest&,
              Done<etcdserverpb::LeaseLeasesResponse>) override {
    std::abort();
  }

  // ---- Watch
  std::unique_ptr<WatchSession> open(const RequestContext&,
                                     std::function<void()> onReady) override {
    ++sessionsOpened;
    auto s = std::make_unique<FakeWatchSession>(*this, std::move(onReady));
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.insert(s.get());
    return s;
  }

  // ---- test helpers (any thread; synchronous)
  int64_t grantLease(int64_t id = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    if (id == 0) id = nextLease_++;
    leases_[id];
    return id;
  }
  // A lease expiring: its keys are deleted in one revision.
  void expireLease(int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    (void)revokeLocked(id);
  }
  void putKey(const std::string& key, const std::string& value, int64_t lease = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    etcdserverpb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    req.set_lease(lease);
    std::vector<mvccpb::Event> evs;
    if (putLocked(req, rev_ + 1, &evs)) commitLocked(evs);
  }
  void deleteKey(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<mvccpb::Event> evs;
    deleteLocked(key, "", rev_ + 1, &evs);
    commitLocked(evs);
  }
  bool has(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return kvs_.count(key) > 0;
  }
  std::optional<mvccpb::KeyValue> get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kvs_.find(key);
    if (it == kvs_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, v] : kvs_) out.push_back(k);
    return out;
  }
  int64_t revision() {
    std::lock_guard<std::mutex> lock(mu_);
    return rev_;
  }
  size_t openSessions() {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }
  // Waits until the kernel thread has run everything queued before this call.
  void drain() {
    std::promise<void> p;
    auto f = p.get_future();
    kernel_.post([&p] { p.set_value(); });
    f.wait();
  }

  std::atomic<int> ranges{0}, txns{0}, deletes{0}, sessionsOpened{0};
  std::vector<int64_t> grantedTtls;  // guarded by mu_ (read after drain())

 private:
  friend class FakeWatchSession;

  // Runs `work` under the store lock on the kernel thread, then its returned
  // completion outside the lock (as the kernel answers after applying).
  template <typename Work>
  void run(Work work) {
    kernel_.post([this, work]() mutable {
      std::function<void()> reply;
      {
        std::lock_guard<std::mutex> lock(mu_);
        reply = work();
      }
      reply();
    });
  }

  etcdserverpb::ResponseHeader header() const {
    etcdserverpb::ResponseHeader h;
    h.set_cluster_id(1);
    h.set_member_id(2);
    h.set_raft_term(3);
    h.set_revision(rev_);
    return h;
  }

  static bool inRange(const std::string& k, const std::string& key, const std::string& end) {
    if (end.empty()) return k == key;
    if (end == std::string(1, '\0')) return k >= key;
    return k >= key && k < end;
  }

  void rangeLocked(const etcdserverpb::RangeRequest& req, etcdserverpb::RangeResponse* resp) {
    std::vector<mvccpb::KeyValue> found;
    for (const auto& [k, kv] : kvs_) {
      if (!inRange(k, req.key(), req.range_end())) continue;
      if (req.max_create_revision() > 0 && kv.create_revision() > req.max_create_revision()) {
        continue;
      }
      found.push_back(kv);
    }
    if (req.sort_target() == etcdserverpb::RangeRequest::CREATE) {
      std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
        return req.sort_order() == etcdserverpb::RangeRequest::DESCEND
                   ? a.create_revision() > b.create_revision()
                   : a.create_revision() < b.create_revision();
      });
    }
    resp->set_count(static_cast<int64_t>(found.size()));
    for (size_t i = 0; i < found.size(); ++i) {
      if (req.limit() > 0 && static_cast<int64_t>(i) >= req.limit()) {
        resp->set_more(true);
        break;
      }
      *resp->add_kvs() = found[i];
    }
  }

  Status putLocked(const etcdserverpb::PutRequest& req, int64_t rev,
                   std::vector<mvccpb::Event>* evs) {
    if (req.key().empty()) return Status(Error::EmptyKey);
    if (req.lease() != 0 && !leases_.count(req.lease())) return Status(Error::LeaseNotFound);
    mvccpb::KeyValue& kv = kvs_[req.key()];
    if (kv.create_revision() == 0) {
      kv.set_key(req.key());
      kv.set_create_revision(rev);
      kv.set_version(0);
    }
    if (kv.lease() != 0) leases_[kv.lease()].erase(req.key());
    kv.set_mod_revision(rev);
    kv.set_version(kv.version() + 1);
    kv.set_value(req.value());
    kv.set_lease(req.lease());
    if (req.lease() != 0) leases_[req.lease()].insert(req.key());
    mvccpb::Event ev;
    ev.set_type(mvccpb::Event::PUT);
    *ev.mutable_kv() = kv;
    evs->push_back(ev);
    return Status::ok();
  }

  int64_t deleteLocked(const std::string& key, const std::string& end, int64_t rev,
                       std::vector<mvccpb::Event>* evs) {
    int64_t n = 0;
    for (auto it = kvs_.begin(); it != kvs_.end();) {
      if (!inRange(it->first, key, end)) {
        ++it;
        continue;
      }
      if (it->second.lease() != 0) leases_[it->second.lease()].erase(it->first);
      mvccpb::Event ev;
      ev.set_type(mvccpb::Event::DELETE);
      ev.mutable_kv()->set_key(it->first);
      ev.mutable_kv()->set_mod_revision(rev);
      evs->push_back(ev);
      it = kvs_.erase(it);
      ++n;
    }
    return n;
  }

  Status txnLocked(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* resp) {
    bool ok = true;
    for (const auto& c : req.compare()) {
      auto it = kvs_.find(c.key());
      const int64_t created = it == kvs_.end() ? 0 : it->second.create_revision();
      if (c.target() != etcdserverpb::Compare::CREATE ||
          c.result() != etcdserverpb::Compare::EQUAL) {
        std::abort();  // the recipes compare nothing else
      }
      if (created != c.create_revision()) ok = false;
    }
    const auto& ops = ok ? req.success() : req.failure();
    // Validation before any write, as etcd checks a whole txn first.
    for (const auto& op : ops) {
      if (op.has_request_put() && op.request_put().key().empty()) return Status(Error::EmptyKey);
      if (op.has_request_delete_range() && op.request_delete_range().key().empty()) {
        return Status(Error::EmptyKey);
      }
      if (op.has_request_put() && op.request_put().lease() != 0 &&
          !leases_.count(op.request_put().lease())) {
        return Status(Error::LeaseNotFound);
      }
    }
    std::vector<mvccpb::Event> evs;
    for (const auto& op : ops) {
      auto* out = resp->add_responses();
      if (op.has_request_put()) {
        (void)putLocked(op.request_put(), rev_ + 1, &evs);
        out->mutable_response_put();
      } else if (op.has_request_range()) {
        rangeLocked(op.request_range(), out->mutable_response_range());
      } else if (op.has_request_delete_range()) {
        out->mutable_response_delete_range()->set_deleted(
            deleteLocked(op.request_delete_range().key(), op.request_delete_range().range_end(),
                         rev_ + 1, &evs));
      }
    }
    commitLocked(evs);
    resp->set_succeeded(ok);
    *resp->mutable_header() = header();
    for (auto& r : *resp->mutable_responses()) {
      if (r.has_response_range()) *r.mutable_response_range()->mutable_header() = header();
    }
    return Status::ok();
  }

  Status revokeLocked(int64_t id) {
    auto it = leases_.find(id);
    if (it == leases_.end()) return Status(Error::LeaseNotFound);
    std::vector<mvccpb::Event> evs;
    for (const std::string& k : std::set<std::string>(it->second)) {
      deleteLocked(k, "", rev_ + 1, &evs);
    }
    leases_.erase(id);
    commitLocked(evs);
    return Status::ok();
  }

  void commitLocked(const std::vector<mvccpb::Event>& evs) {
    if (evs.empty()) return;
    ++rev_;
    history_.emplace_back(rev_, evs);
    for (FakeWatchSession* s : sessions_) s->deliver(rev_, evs);
  }

  KernelThread kernel_;
  std::mutex mu_;
  int64_t rev_ = 1;                                                      // guarded by mu_
  std::map<std::string, mvccpb::KeyValue> kvs_;                          // guarded by mu_
  std::map<int64_t, std::set<std::string>> leases_;                      // guarded by mu_
  int64_t nextLease_ = 0x1a2b;                                           // guarded by mu_
  std::vector<std::pair<int64_t, std::vector<mvccpb::Event>>> history_;  // guarded by mu_
  std::set<FakeWatchSession*> sessions_;                                 // guarded by mu_
};

}  // namespace cairn::concurrency::test
