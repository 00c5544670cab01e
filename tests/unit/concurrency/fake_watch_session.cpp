// The FakeWatchSession members that reach into the FakeStore, which must be complete here.

#include "fake_watch_session.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cairn/host.h"
#include "fake_store.h"

namespace cairn::concurrency::test {

void FakeWatchSession::push(etcdserverpb::WatchResponse resp) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  const bool wasEmpty = queue_.empty();
  queue_.push_back(std::move(resp));
  // Called under the session's lock, as the kernel's relay does, so a plugin
  // polling from inside onReady would deadlock here.
  if (wasEmpty && onReady_) onReady_();
}

void FakeWatchSession::deliver(int64_t revision, const std::vector<mvccpb::Event>& evs) {
  for (const auto& [id, w] : watchers_) {
    if (revision < w.fromRev) continue;
    etcdserverpb::WatchResponse resp;
    resp.set_watch_id(id);
    resp.mutable_header()->set_revision(revision);
    for (const auto& ev : evs) {
      if (FakeStore::inRange(ev.kv().key(), w.key, w.end)) *resp.add_events() = ev;
    }
    if (resp.events_size() > 0) push(std::move(resp));
  }
}

void FakeWatchSession::request(const etcdserverpb::WatchRequest& req) {
  std::lock_guard<std::mutex> lock(store_.mu_);
  if (req.has_create_request()) {
    const auto& c = req.create_request();
    const int64_t id = c.watch_id();
    etcdserverpb::WatchResponse created;
    created.set_watch_id(id);
    created.set_created(true);
    created.mutable_header()->set_revision(store_.rev_);
    if (watchers_.count(id)) {
      created.set_canceled(true);
      created.set_cancel_reason(std::string(errorInfo(Error::WatchDuplicateId).message));
      push(std::move(created));
      return;
    }
    watchers_[id] = Watcher{c.key(), c.range_end(), c.start_revision()};
    push(std::move(created));
    // Catch up from history, one response per revision.
    std::map<int64_t, Watcher> only{{id, watchers_[id]}};
    for (const auto& [rev, evs] : store_.history_) {
      if (c.start_revision() == 0 || rev < c.start_revision()) continue;
      std::swap(only, watchers_);
      deliver(rev, evs);
      std::swap(only, watchers_);
    }
    // Live events from now on only.
    watchers_[id].fromRev = store_.rev_ + 1;
  } else if (req.has_cancel_request()) {
    const int64_t id = req.cancel_request().watch_id();
    if (watchers_.erase(id)) {
      etcdserverpb::WatchResponse canceled;
      canceled.set_watch_id(id);
      canceled.set_canceled(true);
      push(std::move(canceled));
    }
  }
}

void FakeWatchSession::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    onReady_ = nullptr;
  }
  std::lock_guard<std::mutex> lock(store_.mu_);
  store_.sessions_.erase(this);
  watchers_.clear();
}

}  // namespace cairn::concurrency::test
