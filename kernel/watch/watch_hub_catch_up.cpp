// WatchHub's catch-up: watchers that start in the past or fell behind
// (unsynced) are brought up to the live revision from the recent log or
// from history, by reference where they can be, then made synced. The rest
// of WatchHub is in watch_hub.cpp.
#include <algorithm>
#include <limits>

#include "watch/watch_hub.h"

namespace cairn::watch {

namespace {

bool isCreateEvent(const mvccpb::Event& e) {
  return e.type() == mvccpb::Event::PUT && e.kv().create_revision() == e.kv().mod_revision();
}

}  // namespace

void WatchHub::fillPrev(std::vector<mvccpb::Event>& events) const {
  if (!prevKv_) return;
  for (mvccpb::Event& e : events) {
    if (e.has_prev_kv() || isCreateEvent(e)) continue;
    mvccpb::KeyValue kv;
    if (prevKv_(e.kv().key(), e.kv().mod_revision() - 1, &kv)) *e.mutable_prev_kv() = std::move(kv);
  }
}

bool WatchHub::deliver(const std::shared_ptr<Watcher>& w,
                       const std::vector<const mvccpb::Event*>& events, int64_t headerRev,
                       WakeList* wake) {
  etcdserverpb::WatchResponse r;
  for (const mvccpb::Event* ev : events) {
    if (!wants(*w, *ev)) continue;
    mvccpb::Event* e = r.add_events();
    *e = *ev;
    if (!w->prevKv) e->clear_prev_kv();
  }
  // etcd sends nothing when the filters removed every event.
  if (r.events_size() == 0) return true;
  r.mutable_header()->set_revision(headerRev);
  r.set_watch_id(w->id);
  bool ready = false;
  if (!w->stream->pushEvents(w, std::move(r), config_.maxResponseBytes, &ready)) return false;
  if (ready) addWake(w->stream, wake);
  return true;
}

template <typename It>
bool WatchHub::deliverByRef(const std::shared_ptr<Watcher>& w, It first, It last, int64_t headerRev,
                            WakeList* wake, bool* byRef) {
  *byRef = false;
  if (w->fragment && config_.maxResponseBytes) return false;
  std::vector<WatchStream::Part> parts;
  for (auto it = first; it != last; ++it) {
    const std::vector<mvccpb::Event>& evs = it->events->events;
    if (evs.size() > 64) return false;
    uint64_t mine = 0;
    for (std::size_t i = 0; i < evs.size(); ++i) {
      const mvccpb::Event& ev = evs[i];
      if (!wants(*w, ev) || !matches(*w, ev.kv().key())) continue;
      mine |= uint64_t{1} << i;
    }
    if (mine != 0) parts.push_back(WatchStream::Part{it->events, mine});
  }
  *byRef = true;
  if (parts.empty()) return true;  // etcd sends nothing when the filters removed every event
  bool ready = false;
  if (!w->stream->pushCatchUp(w, std::move(parts), headerRev, &ready)) return false;
  if (ready) addWake(w->stream, wake);
  return true;
}

bool WatchHub::catchUpFromRecent(const std::shared_ptr<Watcher>& w, WakeList* wake) {
  if (w->nextRev <= rev_) {
    if (w->nextRev <= recentFloor_) return false;
    auto first = std::lower_bound(recent_.cbegin(), recent_.cend(), w->nextRev,
                                  [](const Recent& r, int64_t rev) { return r.rev < rev; });
    // Revisions stored while no watcher wanted prev_kv lack it: history
    // (which reads it) serves a prev_kv watcher instead.
    if (w->prevKv &&
        std::any_of(first, recent_.cend(), [](const Recent& r) { return !r.events->withPrev; }))
      return false;
    bool byRef = false;
    if (deliverByRef(w, first, recent_.cend(), rev_, wake, &byRef)) {
      w->nextRev = rev_ + 1;
      makeSynced(w, wake);
      return true;
    }
    if (byRef) return false;  // buffer full
    std::vector<const mvccpb::Event*> evs;
    for (auto it = first; it != recent_.end(); ++it)
      for (const auto& e : it->events->events)
        if (matches(*w, e.kv().key())) evs.push_back(&e);
    if (!deliver(w, evs, rev_, wake)) return false;
    w->nextRev = rev_ + 1;
  }
  makeSynced(w, wake);
  return true;
}

std::size_t WatchHub::syncUnsynced(std::size_t limit) {
  WakeList wake;
  struct Pick {
    std::shared_ptr<Watcher> w;
    int64_t from;
  };
  std::vector<Pick> picks;
  int64_t curRev = 0;
  int64_t minRev = std::numeric_limits<int64_t>::max();
  bool needPrev = false;
  {
    std::lock_guard lock(mu_);
    curRev = rev_;
    // A cheap atomic read in the store; taken under mu_ so the check below and
    // the history read agree on the floor as far as possible.
    const int64_t compactRev = compactedRevision_ ? compactedRevision_() : 0;
    std::vector<std::shared_ptr<Watcher>> chosen;
    for (auto& [raw, w] : unsynced_) {
      if (chosen.size() >= config_.watchersPerSync) break;
      // A watcher whose client is not reading cannot take more; skipping it
      // keeps it from starving the others of catch-up rounds.
      bool full = false;
      {
        std::lock_guard outLock(w->stream->outMu_);
        full = w->stream->fullLocked(*w);
      }
      if (!full || w->nextRev < compactRev) chosen.push_back(w);
    }
    for (auto& w : chosen) {
      if (w->nextRev < compactRev) {
        // etcd: the watcher is cancelled with compact_revision; its header
        // revision is left unset (etcd sends 0 there too).
        WatchStream& s = *w->stream;
        unregister(w);
        etcdserverpb::WatchResponse r;
        r.mutable_header()->set_revision(0);
        r.set_watch_id(w->id);
        r.set_compact_revision(compactRev);
        r.set_canceled(true);
        queueControl(s, std::move(r), &wake);
        maybeSendProgress(s, &wake);
        continue;
      }
      if (catchUpFromRecent(w, &wake)) continue;
      picks.push_back(Pick{w, w->nextRev});
      minRev = std::min(minRev, w->nextRev);
      needPrev = needPrev || w->prevKv;
    }
  }
  wakeAll(wake);

  if (!picks.empty()) {
    std::vector<mvccpb::Event> evs;
    int64_t next = minRev;
    // Read without mu_: notify() keeps running; what it adds meanwhile is
    // closed from the recent log below.
    Status st = history_(minRev, curRev, limit, &evs, &next);
    if (st) {
      if (needPrev) fillPrev(evs);
      // Stored once per revision and shared by every watcher catching up
      // through them, as live events are (history never splits a revision).
      std::vector<Recent> read;
      for (std::size_t i = 0; i < evs.size();) {
        const int64_t rev = evs[i].kv().mod_revision();
        std::vector<mvccpb::Event> same;
        for (; i < evs.size() && evs[i].kv().mod_revision() == rev; ++i)
          same.push_back(std::move(evs[i]));
        read.push_back(
            Recent{rev, std::make_shared<const SharedEvents>(std::move(same), needPrev)});
      }
      std::lock_guard lock(mu_);
      for (Pick& p : picks) {
        const std::shared_ptr<Watcher>& w = p.w;
        if (w->canceled || w->synced || w->nextRev != p.from) continue;
        bool byRef = false;
        if (!deliverByRef(w, read.cbegin(), read.cend(), curRev, &wake, &byRef)) {
          if (byRef) continue;  // buffer full: next round
          std::vector<const mvccpb::Event*> mine;
          for (const Recent& r : read)
            for (const mvccpb::Event& e : r.events->events)
              if (matches(*w, e.kv().key())) mine.push_back(&e);
          if (!deliver(w, mine, curRev, &wake)) continue;  // buffer full: next round
        }
        w->nextRev = std::max(w->nextRev, next);
        catchUpFromRecent(w, &wake);
      }
    }
    // On error (compacted meanwhile, backend failure) the next round retries;
    // a compacted floor then cancels the watchers below it.
    wakeAll(wake);
  }
  std::lock_guard lock(mu_);
  return unsynced_.size();
}

}  // namespace cairn::watch
