// WatchHub: etcd's watchable store. Routes the events of every applied write
// txn to the watchers that match, catches lagging watchers up from history,
// and emits progress notifications.
//
// Watchers are either synced (in the live indexes: a hash map for single keys,
// a RangeIndex for ranges; notify() queues to them directly) or unsynced
// (start revision in the past, or their stream buffer was full). syncUnsynced()
// brings unsynced watchers forward from history and, once a watcher has been
// queued every revision up to the hub's revision, moves it to the live
// indexes. Both happen under mu_, and notify() moves the revision under mu_, so
// a watcher switches from history to live at an exact revision boundary: no
// gap, no duplicate.
//
// Threads and locks:
//  - mu_ guards everything below it, every Watcher's nextRev/synced/canceled,
//    and each WatchStream's watcher map. notify() (apply thread), create/
//    cancel (gRPC threads), syncUnsynced() and progressTick() (the server's
//    watch thread) take it; it is never held while reading history, reading
//    prev_kv or calling a sink.
//  - each stream's outMu_ guards its response queue; order: mu_ then outMu_.
//  - live events are stored once per revision (SharedEvents, also the recent
//    log) and queued to watchers by reference; a stream's queue is bounded in
//    bytes (HubConfig::streamBufferBytes) as well as per watcher.
//  - sinks' onReady() is called after mu_ is released; send() only from
//    WatchStream::flush().
// notify() never waits on a client: a full watcher buffer demotes the watcher
// to unsynced instead of waiting.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mvccpb/kv.pb.h"
#include "watch/range_index.h"
#include "watch/shared_events.h"
#include "watch/watch_sink.h"
#include "watch/watch_stream.h"
#include "watch/watch_types.h"
#include "watch/watcher.h"

namespace cairn::watch {

class WatchHub {
 public:
  // `currentRevision`: the store's revision when the hub starts.
  WatchHub(int64_t currentRevision, HistoryFn history, PrevKvFn prevKv,
           CompactedRevisionFn compactedRevision, HubConfig config = {});
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // A new client stream. The hub must outlive it.
  std::shared_ptr<WatchStream> newStream(WatchSink& sink);
  // The same, with the stream sharing ownership of its sink: a stream can be
  // kept alive briefly by a thread about to wake it (after the client closed
  // it), and the sink must still exist then.
  std::shared_ptr<WatchStream> newStream(std::shared_ptr<WatchSink> sink);

  // The events of one committed write txn at `revision` (all of them, in
  // order). Apply thread, after the txn is published. Never blocks on clients.
  // The events are kept (the recent log, queued responses): a caller that
  // is done with them moves them in, saving a copy of every key and value.
  void notify(int64_t revision, std::vector<mvccpb::Event> events);

  // The store's state was replaced (snapshot install) at `revision`: every
  // watcher catches up from history from where it was.
  void reset(int64_t revision);

  // One catch-up round (etcd's syncWatchers): up to HubConfig::watchersPerSync
  // unsynced watchers, at most `limit` history keys (0: no limit). Cancels
  // watchers below the compacted revision with compact_revision set. Returns
  // the number of watchers still unsynced. Call periodically (e.g. 100 ms) or
  // sooner while it returns > 0.
  std::size_t syncUnsynced(std::size_t limit);

  // etcd's progress notification: every synced progressNotify watcher that has
  // had no event queued since the previous tick gets an empty response with
  // the current revision. Call every progress interval (etcd: 10 minutes).
  void progressTick();

  // `kick` is called (from a client's thread, after it read part of an
  // overflowed stream) when a syncUnsynced() round could make progress now:
  // the catch-up runs as soon as there is room, not on its next tick. Set
  // it before streams exist or clear it (nullptr) before the kicked side
  // goes away.
  void setSyncKick(std::function<void()> kick);

  int64_t currentRevision() const;
  std::size_t watcherCount() const;
  std::size_t unsyncedCount() const;

 private:
  friend class WatchStream;

  struct Recent {
    int64_t rev;
    std::shared_ptr<const SharedEvents> events;
  };
  // Collected under mu_, woken after it is released.
  using WakeList = std::vector<std::shared_ptr<WatchStream>>;

  Status createWatcher(WatchStream& s, const CreateParams& p, int64_t* id);
  Status cancelWatcher(WatchStream& s, int64_t id);
  void requestProgress(WatchStream& s);
  void closeStream(WatchStream& s);

  // All below: the caller holds mu_.
  void addSynced(Watcher* w);
  void removeSynced(Watcher* w);
  void makeUnsynced(const std::shared_ptr<Watcher>& w);
  void makeSynced(const std::shared_ptr<Watcher>& w, WakeList* wake);
  void unregister(std::shared_ptr<Watcher> w);
  // Builds the response of `events` (revision >= w.nextRev, filters, prev_kv)
  // and queues it. False if the buffer is full. Empty after filtering: true.
  bool deliver(const std::shared_ptr<Watcher>& w, const std::vector<const mvccpb::Event*>& events,
               int64_t headerRev, WakeList* wake);
  // The same for live events of one revision: `picks` (bit i: events[i] of
  // `shared`) is queued by reference, not copied.
  bool deliverShared(const std::shared_ptr<Watcher>& w,
                     const std::shared_ptr<const SharedEvents>& shared, uint64_t picks,
                     int64_t headerRev, WakeList* wake);
  // Catch-up by reference: the watcher's events of the revisions [first,
  // last) (Recent entries: the recent log, or history read in a sync round
  // and stored once per revision), one response with header revision
  // `headerRev`. False (nothing queued) if it cannot go by reference (a
  // fragmenting watcher, or a revision of more than 64 events) or the
  // buffer is full; *byRef tells which.
  template <typename It>
  bool deliverByRef(const std::shared_ptr<Watcher>& w, It first, It last, int64_t headerRev,
                    WakeList* wake, bool* byRef);
  void kickSync();
  // Reads the prev_kv of every event that lacks one and had a previous state
  // (live PUTs of existing keys, whose writers do not read it; every event
  // read from history). Any thread, no lock.
  void fillPrev(std::vector<mvccpb::Event>& events) const;
  // Queues recent revisions [w.nextRev, rev_] and makes w synced, if the
  // recent log covers them and the buffer has room.
  bool catchUpFromRecent(const std::shared_ptr<Watcher>& w, WakeList* wake);
  void maybeSendProgress(WatchStream& s, WakeList* wake);
  static void wakeAll(WakeList& wake);
  static void addWake(WatchStream* s, WakeList* wake);
  // Queues a control response (created, canceled, progress) on `s` and
  // wakes the stream if its queue was empty.
  static void queueControl(WatchStream& s, etcdserverpb::WatchResponse&& r, WakeList* wake);
  bool matches(const Watcher& w, const std::string& key) const;
  // The event is one `w` still takes: not before its next revision, and not
  // removed by its NOPUT/NODELETE filter.
  static bool wants(const Watcher& w, const mvccpb::Event& ev) {
    return ev.kv().mod_revision() >= w.nextRev &&
           !(ev.type() == mvccpb::Event::PUT ? w.noPut : w.noDelete);
  }

  const HistoryFn history_;
  const PrevKvFn prevKv_;
  const CompactedRevisionFn compactedRevision_;
  const HubConfig config_;

  std::mutex kickMu_;               // taken alone, never with mu_ held
  std::function<void()> syncKick_;  // guarded by kickMu_

  mutable std::mutex mu_;
  int64_t rev_;  // the last notified revision; guarded by mu_
  std::unordered_map<std::string, std::unordered_set<Watcher*>> singles_;  // synced, mu_
  RangeIndex ranges_;                                                      // synced, mu_
  std::unordered_map<Watcher*, std::shared_ptr<Watcher>> unsynced_;        // mu_
  std::unordered_set<Watcher*> progress_;  // progressNotify watchers, mu_
  std::size_t watchers_ = 0;               // mu_
  // Watchers that asked for prev_kv: written under mu_, read without it by
  // notify() to fill prev_kv before taking the lock.
  std::atomic<std::size_t> prevKvWatchers_{0};
  std::unordered_set<WatchStream*> streams_;  // open streams, mu_
  // Every revision in (recentFloor_, rev_] that had events, oldest first; mu_.
  std::deque<Recent> recent_;
  int64_t recentFloor_;  // mu_
};

}  // namespace cairn::watch
