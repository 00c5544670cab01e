// WatchStream: one client watch stream (etcd's serverWatchStream + mvcc
// watchStream): its watchers, their ids and the bounded response queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"
#include "watch/shared_events.h"
#include "watch/watch_sink.h"
#include "watch/watch_types.h"
#include "watch/watcher.h"

namespace cairn::watch {

class WatchHub;

class WatchStream : public std::enable_shared_from_this<WatchStream> {
 public:
  // Made by WatchHub::newStream(). `sink` must outlive the stream.
  WatchStream(WatchHub& hub, WatchSink& sink);
  ~WatchStream();  // close()
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Adds a watcher and queues etcd's "created" response (header.revision =
  // the hub's revision). On error (duplicate id, empty range) queues a
  // created+canceled response with watch_id -1 and the error as cancel_reason,
  // and returns the error. Any thread.
  Status create(const CreateParams& params, int64_t* id);
  // Removes the watcher, drops its queued responses and queues the canceled
  // response. Status(Error::WatcherNotExist) (and nothing queued) if unknown.
  Status cancel(int64_t id);
  // etcd 3.4's ProgressRequest: one response with watch_id -1 and the current
  // revision. Queued once every watcher of the stream is synced, so the
  // revision never claims events the client has not been sent yet.
  void requestProgress();
  // Cancels every watcher without responses (the client went away). Idempotent.
  void close();

  // Takes up to `max` queued responses and hands them to the sink's send(), in
  // order, outside every hub lock. Returns how many were sent.
  std::size_t flush(std::size_t max = SIZE_MAX);
  // Takes the next queued response, if any (for a one-write-at-a-time reactor).
  bool poll(etcdserverpb::WatchResponse* out);
  // As poll(), but the response comes encoded (a serialized WatchResponse),
  // its header `header` with the response's revision. Live events are copied
  // from their revision's shared encoding, so a fan-out serializes each
  // event once, not once per watcher. The bytes equal what serializing
  // poll()'s response with that header gives; none (true, `out` empty) if
  // the response is over protobuf's 2 GiB.
  bool pollEncoded(const etcdserverpb::ResponseHeader& header, std::string* out);
  std::size_t queuedResponses() const;
  // Encoded bytes queued (what HubConfig::streamBufferBytes bounds).
  std::size_t queuedBytes() const;

 private:
  friend class WatchHub;

  // Live events of one revision queued by reference: bit i of `picks` stands
  // for shared->events[i].
  struct Part {
    std::shared_ptr<const SharedEvents> shared;
    uint64_t picks = 0;
  };
  // One queued response. Live events are queued by reference (`parts`) and
  // built into a WatchResponse only when taken, outside every lock;
  // everything else is queued built (`response`).
  struct Out {
    std::unique_ptr<etcdserverpb::WatchResponse> response;  // built form (null if live)
    // Live form: the revisions of one watcher, oldest first. More than one
    // when the watcher's newer revisions were merged into a response still
    // waiting in the queue (see pushShared).
    std::vector<Part> parts;
    bool prevKv = false;
    int64_t headerRev = 0;             // the newest revision in parts
    int64_t watchId = 0;               // of either form
    std::size_t bytes = 0;             // counted against bytes_
    std::size_t revisions = 1;         // counted against counted->queued
    std::shared_ptr<Watcher> counted;  // set if it counts against counted->queued
  };

  // Hub side; the caller holds hub.mu_. Return false (nothing queued) if the
  // watcher's buffer or the stream's byte bound is full (any response is
  // taken while the queue holds at most half the bound). pushEvents splits
  // fragment watchers' big responses.
  bool pushEvents(const std::shared_ptr<Watcher>& w, etcdserverpb::WatchResponse&& r,
                  std::size_t maxBytes, bool* becameReady);
  // Queues live events of one revision by reference. While the watcher's
  // previous live response is still waiting in the queue (and the stream
  // holds HubConfig::mergeAfterBytes), the revision is merged into it
  // instead, up to HubConfig::mergeBytes: a backlog costs one gRPC message per watcher and
  // batch, not per revision, as etcd's catch-up sends many revisions in one
  // response. Merging never moves an event ahead of a response queued after
  // that previous one for the same watcher, nor ahead of a control response.
  bool pushShared(const std::shared_ptr<Watcher>& w, std::shared_ptr<const SharedEvents> shared,
                  uint64_t picks, int64_t headerRev, bool* becameReady);
  // Queues a catch-up response by reference: the watcher's events of several
  // revisions, oldest first, with header revision `headerRev`. It becomes
  // the watcher's tail, so later live revisions may merge into it (they
  // are newer than all it holds).
  bool pushCatchUp(const std::shared_ptr<Watcher>& w, std::vector<Part>&& parts, int64_t headerRev,
                   bool* becameReady);
  void pushControl(etcdserverpb::WatchResponse&& r, bool* becameReady);
  // outMu_ held: queues a live-form response of `size` bytes (false if no
  // room) and makes it the watcher's merge tail.
  bool queueLiveLocked(const std::shared_ptr<Watcher>& w, std::vector<Part>&& parts,
                       int64_t headerRev, std::size_t size, bool* becameReady);
  void dropQueued(int64_t watchId);
  // outMu_ held: room for `bytes` more for `w`? Marks the stream overflowed if
  // not, so that draining it wakes the catch-up.
  bool roomLocked(const Watcher& w, std::size_t bytes);
  bool fullLocked(const Watcher& w) const;
  Out takeFrontLocked();
  // Outside every lock: the response `o` stands for.
  static void build(Out&& o, etcdserverpb::WatchResponse* out);
  static void encode(Out&& o, const etcdserverpb::ResponseHeader& header, std::string* out);
  // Takes the front response for poll()/pollEncoded(); false if none.
  bool take(Out* o);
  // After a take: wakes the hub's catch-up once an overflowed queue has
  // drained to half its byte bound.
  void afterTake(bool kick);

  WatchHub& hub_;
  WatchSink& sink_;
  // Set once by WatchHub::newStream() before the stream is shared; keeps
  // sink_ alive as long as the stream when the hub was given ownership.
  std::shared_ptr<WatchSink> sinkOwner_;

  // Guarded by hub_.mu_.
  std::unordered_map<int64_t, std::shared_ptr<Watcher>> watchers_;
  int64_t nextId_ = 0;
  std::size_t unsynced_ = 0;      // watchers of this stream not yet synced
  bool progressPending_ = false;  // requestProgress() waits for unsynced_ == 0
  bool closed_ = false;

  // Lock order: hub_.mu_ before outMu_.
  mutable std::mutex outMu_;
  std::deque<Out> out_;      // guarded by outMu_
  std::size_t bytes_ = 0;    // encoded bytes queued in out_; outMu_
  bool overflowed_ = false;  // a response was refused since the last drain; outMu_
  // Sequence number of out_.front() (each push takes the next one), and the
  // merge generation: a Watcher's tail handle (tailSeq, tailGen) is valid
  // only while tailGen == gen_. Anything that must not be overtaken by a
  // later live event (a control response, a built catch-up response) or
  // that moves entries (dropQueued) starts a new generation. Both outMu_.
  uint64_t frontSeq_ = 0;
  uint64_t gen_ = 1;
  // Held while calling the sink so flushes of one stream never interleave.
  std::mutex flushMu_;
};

}  // namespace cairn::watch
