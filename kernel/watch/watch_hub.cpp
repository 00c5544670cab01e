#include "watch/watch_hub.h"

#include <algorithm>
#include <bit>
#include <optional>

namespace cairn::watch {

WatchHub::WatchHub(int64_t currentRevision, HistoryFn history, PrevKvFn prevKv,
                   CompactedRevisionFn compactedRevision, HubConfig config)
    : history_(std::move(history)),
      prevKv_(std::move(prevKv)),
      compactedRevision_(std::move(compactedRevision)),
      config_(config),
      rev_(currentRevision),
      recentFloor_(currentRevision) {}

WatchHub::~WatchHub() = default;

std::shared_ptr<WatchStream> WatchHub::newStream(WatchSink& sink) {
  auto s = std::make_shared<WatchStream>(*this, sink);
  std::lock_guard lock(mu_);
  streams_.insert(s.get());
  return s;
}

std::shared_ptr<WatchStream> WatchHub::newStream(std::shared_ptr<WatchSink> sink) {
  auto s = newStream(*sink);
  s->sinkOwner_ = std::move(sink);
  return s;
}

void WatchHub::setSyncKick(std::function<void()> kick) {
  std::lock_guard lock(kickMu_);
  syncKick_ = std::move(kick);
}

void WatchHub::kickSync() {
  std::lock_guard lock(kickMu_);
  if (syncKick_) syncKick_();
}

int64_t WatchHub::currentRevision() const {
  std::lock_guard lock(mu_);
  return rev_;
}

std::size_t WatchHub::watcherCount() const {
  std::lock_guard lock(mu_);
  return watchers_;
}

std::size_t WatchHub::unsyncedCount() const {
  std::lock_guard lock(mu_);
  return unsynced_.size();
}

void WatchHub::addWake(WatchStream* s, WakeList* wake) {
  // Null while the stream is being destroyed: nobody to wake.
  if (auto sp = s->weak_from_this().lock()) wake->push_back(std::move(sp));
}

void WatchHub::queueControl(WatchStream& s, etcdserverpb::WatchResponse&& r, WakeList* wake) {
  bool ready = false;
  s.pushControl(std::move(r), &ready);
  if (ready) addWake(&s, wake);
}

void WatchHub::wakeAll(WakeList& wake) {
  for (auto& s : wake) s->sink_.onReady();
  wake.clear();
}

bool WatchHub::matches(const Watcher& w, const std::string& key) const {
  if (w.fromKey) return key >= w.key;
  if (w.end.empty()) return key == w.key;
  return key >= w.key && key < w.end;
}

Status WatchHub::createWatcher(WatchStream& s, const CreateParams& p, int64_t* id) {
  WakeList wake;
  Status st;
  {
    std::lock_guard lock(mu_);
    bool ready = false;
    const bool fromKey = p.rangeEnd.size() == 1 && p.rangeEnd[0] == '\0';
    if (s.closed_) {
      return Status(StatusCode::Cancelled, "watch stream closed");
    } else if (!fromKey && !p.rangeEnd.empty() && p.key >= p.rangeEnd) {
      st = Status(Error::WatchRangeEmpty);
    } else if (p.watchId != 0 && s.watchers_.count(p.watchId) != 0) {
      st = Status(Error::WatchDuplicateId);
    }
    etcdserverpb::WatchResponse r;
    r.mutable_header()->set_revision(rev_);
    r.set_created(true);
    if (!st) {
      r.set_watch_id(-1);
      r.set_canceled(true);
      r.set_cancel_reason(st.message());
      s.pushControl(std::move(r), &ready);
    } else {
      int64_t wid = p.watchId;
      if (wid == 0) {
        while (s.watchers_.count(s.nextId_) != 0) ++s.nextId_;
        wid = s.nextId_++;
      }
      auto w = std::make_shared<Watcher>();
      w->id = wid;
      w->stream = &s;
      w->key = p.key;
      w->fromKey = fromKey;
      if (!fromKey) w->end = p.rangeEnd;
      w->noPut = p.noPut;
      w->noDelete = p.noDelete;
      w->prevKv = p.prevKv;
      if (w->prevKv) prevKvWatchers_.fetch_add(1, std::memory_order_release);
      w->progressNotify = p.progressNotify;
      w->fragment = p.fragment;
      w->nextRev = p.startRevision == 0 ? rev_ + 1 : p.startRevision;
      s.watchers_.emplace(wid, w);
      ++watchers_;
      if (w->progressNotify) progress_.insert(w.get());
      // Queued before any event of the watcher can be: both need mu_.
      r.set_watch_id(wid);
      s.pushControl(std::move(r), &ready);
      if (w->nextRev > rev_) {
        w->synced = true;
        addSynced(w.get());
      } else {
        unsynced_.emplace(w.get(), w);
        ++s.unsynced_;
      }
      *id = wid;
    }
    if (ready) addWake(&s, &wake);
  }
  wakeAll(wake);
  return st;
}

Status WatchHub::cancelWatcher(WatchStream& s, int64_t id) {
  WakeList wake;
  {
    std::lock_guard lock(mu_);
    auto it = s.watchers_.find(id);
    if (it == s.watchers_.end()) return Status(Error::WatcherNotExist);
    unregister(it->second);
    s.dropQueued(id);
    etcdserverpb::WatchResponse r;
    r.mutable_header()->set_revision(rev_);
    r.set_watch_id(id);
    r.set_canceled(true);
    queueControl(s, std::move(r), &wake);
    maybeSendProgress(s, &wake);
  }
  wakeAll(wake);
  return Status::ok();
}

void WatchHub::requestProgress(WatchStream& s) {
  WakeList wake;
  {
    std::lock_guard lock(mu_);
    s.progressPending_ = true;
    maybeSendProgress(s, &wake);
  }
  wakeAll(wake);
}

void WatchHub::maybeSendProgress(WatchStream& s, WakeList* wake) {
  if (!s.progressPending_ || s.unsynced_ != 0) return;
  s.progressPending_ = false;
  etcdserverpb::WatchResponse r;
  r.mutable_header()->set_revision(rev_);
  r.set_watch_id(-1);  // etcd's InvalidWatchID: for every watcher of the stream
  queueControl(s, std::move(r), wake);
}

void WatchHub::closeStream(WatchStream& s) {
  std::lock_guard lock(mu_);
  if (s.closed_) return;
  s.closed_ = true;
  std::vector<std::shared_ptr<Watcher>> all;
  for (auto& [id, w] : s.watchers_) all.push_back(w);
  for (auto& w : all) unregister(w);
  streams_.erase(&s);
}

void WatchHub::addSynced(Watcher* w) {
  if (w->isRange())
    ranges_.insert(w);
  else
    singles_[w->key].insert(w);
}

void WatchHub::removeSynced(Watcher* w) {
  if (w->isRange()) {
    ranges_.erase(w);
    return;
  }
  auto it = singles_.find(w->key);
  if (it == singles_.end()) return;
  it->second.erase(w);
  if (it->second.empty()) singles_.erase(it);
}

void WatchHub::makeUnsynced(const std::shared_ptr<Watcher>& w) {
  if (!w->synced) return;
  removeSynced(w.get());
  w->synced = false;
  unsynced_.emplace(w.get(), w);
  ++w->stream->unsynced_;
}

void WatchHub::makeSynced(const std::shared_ptr<Watcher>& w, WakeList* wake) {
  if (w->synced) return;
  unsynced_.erase(w.get());
  --w->stream->unsynced_;
  w->synced = true;
  addSynced(w.get());
  maybeSendProgress(*w->stream, wake);
}

void WatchHub::unregister(std::shared_ptr<Watcher> w) {
  if (w->synced) {
    removeSynced(w.get());
  } else {
    unsynced_.erase(w.get());
    --w->stream->unsynced_;
  }
  progress_.erase(w.get());
  if (w->prevKv) prevKvWatchers_.fetch_sub(1, std::memory_order_release);
  w->canceled = true;
  --watchers_;
  w->stream->watchers_.erase(w->id);
}

bool WatchHub::deliverShared(const std::shared_ptr<Watcher>& w,
                             const std::shared_ptr<const SharedEvents>& shared, uint64_t picks,
                             int64_t headerRev, WakeList* wake) {
  uint64_t mine = 0;
  for (uint64_t m = picks; m != 0; m &= m - 1) {
    const int i = std::countr_zero(m);
    const mvccpb::Event& ev = shared->events[i];
    if (!wants(*w, ev)) continue;
    mine |= uint64_t{1} << i;
  }
  if (mine == 0) return true;  // etcd sends nothing when the filters removed every event
  bool ready = false;
  if (!w->stream->pushShared(w, shared, mine, headerRev, &ready)) return false;
  if (ready) addWake(w->stream, wake);
  return true;
}

void WatchHub::notify(int64_t revision, std::vector<mvccpb::Event> events) {
  WakeList wake;
  // The revision leaving the recent log: freed after mu_ is released (its
  // events are cold in cache by now). One per notify once the log is full.
  Recent evicted{};
  // Made only when there is a log to drop: an empty std::deque allocates.
  std::optional<std::deque<Recent>> dropped;
  // Writers leave a PUT's prev_kv out; it is read here, outside mu_, only
  // while some watcher wants it (etcd's watch reads it per event too).
  bool withPrev = false;
  if (prevKvWatchers_.load(std::memory_order_acquire) != 0) {
    fillPrev(events);
    withPrev = true;
  }
  {
    std::lock_guard lock(mu_);
    // Revisions only move forward; a repeat would duplicate events.
    if (revision <= rev_) return;
    rev_ = revision;
    if (watchers_ == 0) {
      // Nobody to deliver to: the recent log is dropped rather than kept
      // (a watcher created later with a past start revision reads history),
      // so writes with no watcher pay nothing for watching.
      recentFloor_ = revision;
      if (!recent_.empty()) dropped.emplace().swap(recent_);  // freed after mu_ is released
      return;
    }
    if (!withPrev && prevKvWatchers_.load(std::memory_order_relaxed) != 0) {
      fillPrev(events);  // a prev_kv watcher arrived since the check above
      withPrev = true;
    }
    // Stored once: the recent log and every watcher's queued response share it.
    auto shared = std::make_shared<const SharedEvents>(std::move(events), withPrev);
    recent_.push_back(Recent{revision, shared});
    while (recent_.size() > config_.recentRevisions) {
      recentFloor_ = recent_.front().rev;
      evicted = std::move(recent_.front());
      recent_.pop_front();
    }
    const std::vector<mvccpb::Event>& stored = shared->events;
    // Queues one watcher's events of this revision; demotes it if full.
    auto handle = [&](const std::shared_ptr<Watcher>& w, bool ok) {
      if (ok) {
        w->nextRev = revision + 1;
      } else {
        // Buffer full: catch up from the recent log or history later.
        w->nextRev = revision;
        makeUnsynced(w);
      }
    };
    // Watchers that can take events by reference: no fragmenting, at most 64
    // events (one bit each).
    const bool byRef = stored.size() <= 64;
    auto lazyOk = [&](const Watcher& w) {
      return byRef && !(w.fragment && config_.maxResponseBytes);
    };

    // Per matching watcher, its events in txn order. A watcher is in one index
    // only, so with one event there is nothing to merge.
    std::vector<std::pair<Watcher*, uint64_t>> masks;
    std::vector<std::pair<Watcher*, std::vector<const mvccpb::Event*>>> lists;
    std::unordered_map<Watcher*, std::size_t> slot;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const mvccpb::Event& ev = stored[i];
      auto add = [&](Watcher* w) {
        if (revision < w->nextRev) return;  // future start revision
        if (lazyOk(*w)) {
          if (stored.size() == 1) {
            masks.emplace_back(w, 1);
            return;
          }
          auto [it, fresh] = slot.try_emplace(w, masks.size());
          if (fresh) masks.emplace_back(w, 0);
          masks[it->second].second |= uint64_t{1} << i;
          return;
        }
        auto [it, fresh] = slot.try_emplace(w, lists.size());
        if (fresh) lists.emplace_back(w, std::vector<const mvccpb::Event*>{});
        lists[it->second].second.push_back(&ev);
      };
      const std::string& key = ev.kv().key();
      if (auto it = singles_.find(key); it != singles_.end())
        for (Watcher* w : it->second) add(w);
      ranges_.forEachCovering(key, add);
    }
    // Delivery may demote a watcher (changing the indexes), so it comes after
    // the matching.
    for (auto& [raw, picks] : masks) {
      std::shared_ptr<Watcher> w = raw->shared_from_this();
      handle(w, deliverShared(w, shared, picks, revision, &wake));
    }
    for (auto& [raw, evs] : lists) {
      std::shared_ptr<Watcher> w = raw->shared_from_this();
      handle(w, deliver(w, evs, revision, &wake));
    }
  }
  wakeAll(wake);
}

void WatchHub::reset(int64_t revision) {
  std::lock_guard lock(mu_);
  for (WatchStream* s : streams_)
    for (auto& [id, w] : s->watchers_)
      if (w->synced) {
        w->nextRev = std::max(w->nextRev, rev_ + 1);
        makeUnsynced(w);
      }
  rev_ = std::max(rev_, revision);
  recent_.clear();
  recentFloor_ = rev_;
}

void WatchHub::progressTick() {
  WakeList wake;
  {
    std::lock_guard lock(mu_);
    for (Watcher* w : progress_) {
      if (!w->synced) continue;
      bool idle = false;
      {
        std::lock_guard outLock(w->stream->outMu_);
        idle = !w->sentSinceTick;
        w->sentSinceTick = false;
      }
      if (!idle) continue;
      etcdserverpb::WatchResponse r;
      r.mutable_header()->set_revision(rev_);
      r.set_watch_id(w->id);
      queueControl(*w->stream, std::move(r), &wake);
    }
  }
  wakeAll(wake);
}

}  // namespace cairn::watch
