#include "watch/watch_stream.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "watch/watch_hub.h"
#include "watch/wire_format.h"

namespace cairn::watch {

WatchStream::WatchStream(WatchHub& hub, WatchSink& sink) : hub_(hub), sink_(sink) {}

WatchStream::~WatchStream() {
  close();
}

Status WatchStream::create(const CreateParams& params, int64_t* id) {
  return hub_.createWatcher(*this, params, id);
}

Status WatchStream::cancel(int64_t id) {
  return hub_.cancelWatcher(*this, id);
}

void WatchStream::requestProgress() {
  hub_.requestProgress(*this);
}

void WatchStream::close() {
  hub_.closeStream(*this);
}

bool WatchStream::fullLocked(const Watcher& w) const {
  return w.queued >= hub_.config_.watcherBufferResponses ||
         bytes_ > hub_.config_.streamBufferBytes / 2;
}

bool WatchStream::roomLocked(const Watcher& w, std::size_t bytes) {
  // Up to the bound; past half of it, a response that would cross it waits.
  // Below half anything fits, so a catch-up response bigger than the bound
  // is never starved by a stream whose live traffic keeps it non-empty.
  const std::size_t bound = hub_.config_.streamBufferBytes;
  if (w.queued < hub_.config_.watcherBufferResponses &&
      (bytes_ <= bound / 2 || bytes_ + bytes <= bound))
    return true;
  overflowed_ = true;
  return false;
}

bool WatchStream::pushEvents(const std::shared_ptr<Watcher>& w, etcdserverpb::WatchResponse&& r,
                             std::size_t maxBytes, bool* becameReady) {
  const std::size_t size = r.ByteSizeLong();
  std::lock_guard lock(outMu_);
  if (!roomLocked(*w, size)) return false;
  const bool wasEmpty = out_.empty();
  ++w->queued;
  w->sentSinceTick = true;
  bytes_ += size;
  if (!w->fragment || maxBytes == 0 || r.events_size() < 2 || size < maxBytes) {
    const int64_t id = r.watch_id();
    Out o;
    o.response = std::make_unique<etcdserverpb::WatchResponse>(std::move(r));
    o.watchId = id;
    o.bytes = size;
    o.counted = w;
    out_.push_back(std::move(o));
  } else {
    // etcd's sendFragments: fill each fragment while it stays under the limit,
    // at least one event per fragment; fragment=true on all but the last.
    etcdserverpb::WatchResponse base = r;
    base.clear_events();
    base.set_fragment(true);
    const int n = r.events_size();
    int idx = 0;
    std::size_t left = size;
    while (idx < n) {
      etcdserverpb::WatchResponse cur = base;
      std::size_t fragBytes = cur.ByteSizeLong();
      while (idx < n) {
        const std::size_t ev = r.events(idx).ByteSizeLong();
        const std::size_t entry =
            1 + google::protobuf::io::CodedOutputStream::VarintSize64(ev) + ev;
        if (cur.events_size() >= 1 && fragBytes + entry >= maxBytes) break;
        *cur.add_events() = std::move(*r.mutable_events(idx));
        fragBytes += entry;
        ++idx;
      }
      const bool last = idx == n;
      if (last) cur.set_fragment(false);
      // The fragments are one logical response: only the last one counts
      // against the watcher's buffer; their bytes add up to the whole.
      const std::size_t charged = last ? left : std::min(left, fragBytes);
      left -= charged;
      Out o;
      o.response = std::make_unique<etcdserverpb::WatchResponse>(std::move(cur));
      o.watchId = base.watch_id();
      o.bytes = charged;
      if (last) o.counted = w;
      out_.push_back(std::move(o));
    }
  }
  // A later live event of this watcher must not be merged ahead of it.
  ++gen_;
  if (wasEmpty) *becameReady = true;
  return true;
}

bool WatchStream::pushShared(const std::shared_ptr<Watcher>& w,
                             std::shared_ptr<const SharedEvents> shared, uint64_t picks,
                             int64_t headerRev, bool* becameReady) {
  std::size_t events = 0;
  for (uint64_t m = picks; m != 0; m &= m - 1) events += 2 + shared->bytes[std::countr_zero(m)];
  std::lock_guard lock(outMu_);
  // The watcher's previous live response, if it is still waiting and the
  // stream is behind: this revision rides along with it. Valid only in
  // the generation it was queued in (nothing for this watcher or the whole
  // stream was queued behind it since, and no entry moved).
  if (hub_.config_.mergeBytes != 0 && bytes_ >= hub_.config_.mergeAfterBytes &&
      w->tailGen == gen_ && w->tailSeq >= frontSeq_ && w->tailSeq - frontSeq_ < out_.size()) {
    Out& tail = out_[w->tailSeq - frontSeq_];
    if (tail.counted == w && !tail.parts.empty() &&
        tail.bytes + events <= hub_.config_.mergeBytes) {
      if (!roomLocked(*w, events)) return false;
      tail.parts.push_back(Part{std::move(shared), picks});
      tail.headerRev = headerRev;
      tail.bytes += events;
      ++tail.revisions;
      ++w->queued;
      w->sentSinceTick = true;
      bytes_ += events;
      return true;
    }
  }
  // Header and watch id: a few bytes beside the events.
  std::vector<Part> parts;
  parts.push_back(Part{std::move(shared), picks});
  return queueLiveLocked(w, std::move(parts), headerRev, 16 + events, becameReady);
}

bool WatchStream::queueLiveLocked(const std::shared_ptr<Watcher>& w, std::vector<Part>&& parts,
                                  int64_t headerRev, std::size_t size, bool* becameReady) {
  if (!roomLocked(*w, size)) return false;
  if (out_.empty()) *becameReady = true;
  ++w->queued;
  w->sentSinceTick = true;
  bytes_ += size;
  // The watcher's newest queued response: its later revisions may merge in.
  w->tailSeq = frontSeq_ + out_.size();
  w->tailGen = gen_;
  Out o;
  o.parts = std::move(parts);
  o.prevKv = w->prevKv;
  o.headerRev = headerRev;
  o.watchId = w->id;
  o.bytes = size;
  o.counted = w;
  out_.push_back(std::move(o));
  return true;
}

bool WatchStream::pushCatchUp(const std::shared_ptr<Watcher>& w, std::vector<Part>&& parts,
                              int64_t headerRev, bool* becameReady) {
  std::size_t size = 16;  // header and watch id, as pushShared counts them
  for (const Part& p : parts)
    for (uint64_t m = p.picks; m != 0; m &= m - 1) size += 2 + p.shared->bytes[std::countr_zero(m)];
  std::lock_guard lock(outMu_);
  return queueLiveLocked(w, std::move(parts), headerRev, size, becameReady);
}

void WatchStream::pushControl(etcdserverpb::WatchResponse&& r, bool* becameReady) {
  const std::size_t size = r.ByteSizeLong();
  std::lock_guard lock(outMu_);
  if (out_.empty()) *becameReady = true;
  bytes_ += size;
  Out o;
  o.watchId = r.watch_id();
  o.response = std::make_unique<etcdserverpb::WatchResponse>(std::move(r));
  o.bytes = size;
  out_.push_back(std::move(o));
  // A barrier: a progress notification's revision claims every event up to
  // it was sent, and a watcher's own control responses keep their place.
  ++gen_;
}

void WatchStream::dropQueued(int64_t watchId) {
  std::lock_guard lock(outMu_);
  std::erase_if(out_, [&](const Out& o) {
    if (o.watchId != watchId) return false;
    bytes_ -= o.bytes;
    return true;
  });
  // Entries behind the erased ones moved: no tail handle points right now.
  ++gen_;
}

WatchStream::Out WatchStream::takeFrontLocked() {
  Out o = std::move(out_.front());
  out_.pop_front();
  ++frontSeq_;
  bytes_ -= o.bytes;
  if (o.counted) o.counted->queued -= o.revisions;
  return o;
}

void WatchStream::build(Out&& o, etcdserverpb::WatchResponse* out) {
  if (o.response) {
    *out = std::move(*o.response);
    return;
  }
  out->Clear();
  out->mutable_header()->set_revision(o.headerRev);
  out->set_watch_id(o.watchId);
  int n = 0;
  for (const Part& p : o.parts) n += std::popcount(p.picks);
  out->mutable_events()->Reserve(n);
  for (const Part& p : o.parts) {
    for (uint64_t m = p.picks; m != 0; m &= m - 1) {
      mvccpb::Event* e = out->add_events();
      *e = p.shared->events[std::countr_zero(m)];
      if (!o.prevKv) e->clear_prev_kv();
    }
  }
}

void WatchStream::afterTake(bool kick) {
  if (kick) hub_.kickSync();
}

std::size_t WatchStream::flush(std::size_t max) {
  std::lock_guard flushLock(flushMu_);
  std::size_t sent = 0;
  std::vector<Out> batch;
  while (sent < max) {
    batch.clear();
    bool kick = false;
    {
      std::lock_guard lock(outMu_);
      while (!out_.empty() && sent + batch.size() < max) batch.push_back(takeFrontLocked());
      if (overflowed_ && bytes_ <= hub_.config_.streamBufferBytes / 2) {
        overflowed_ = false;
        kick = true;
      }
    }
    afterTake(kick);
    if (batch.empty()) break;
    for (Out& o : batch) {
      etcdserverpb::WatchResponse r;
      build(std::move(o), &r);
      sink_.send(std::move(r));
    }
    sent += batch.size();
  }
  return sent;
}

bool WatchStream::take(Out* o) {
  bool kick = false;
  {
    std::lock_guard lock(outMu_);
    if (out_.empty()) return false;
    *o = takeFrontLocked();
    if (overflowed_ && bytes_ <= hub_.config_.streamBufferBytes / 2) {
      overflowed_ = false;
      kick = true;
    }
  }
  afterTake(kick);
  return true;
}

bool WatchStream::poll(etcdserverpb::WatchResponse* out) {
  Out o;
  if (!take(&o)) return false;
  build(std::move(o), out);
  return true;
}

bool WatchStream::pollEncoded(const etcdserverpb::ResponseHeader& header, std::string* out) {
  Out o;
  if (!take(&o)) return false;
  encode(std::move(o), header, out);
  return true;
}

void WatchStream::encode(Out&& o, const etcdserverpb::ResponseHeader& header, std::string* out) {
  out->clear();
  if (o.response) {
    const int64_t rev = o.response->header().revision();
    etcdserverpb::ResponseHeader* h = o.response->mutable_header();
    *h = header;
    h->set_revision(rev);
    if (!o.response->AppendToString(out)) out->clear();  // over 2 GiB: no bytes
    return;
  }
  // Field order as protobuf's serializer writes it: header (1), watch_id
  // (2, omitted when 0 as proto3 does), events (11).
  etcdserverpb::ResponseHeader h = header;
  h.set_revision(o.headerRev);
  const std::size_t headerSize = h.ByteSizeLong();
  // Sizes with prev_kv: enough room either way.
  std::size_t room = 2 + wire::varintSize(headerSize) + headerSize + 11;
  for (const Part& p : o.parts) {
    for (uint64_t m = p.picks; m != 0; m &= m - 1) {
      const std::size_t n = p.shared->bytes[std::countr_zero(m)];
      room += 1 + wire::varintSize(n) + n;
    }
  }
  out->reserve(room);
  wire::appendTag(out, 1, wire::kLengthDelimited);
  wire::appendVarint(out, headerSize);
  const std::size_t at = out->size();
  out->resize(at + headerSize);
  h.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + at));
  if (o.watchId != 0) {
    wire::appendTag(out, 2, wire::kVarint);
    wire::appendVarint(out, static_cast<uint64_t>(o.watchId));
  }
  for (const Part& p : o.parts) {
    const EncodedEvents& events = p.shared->encoded(o.prevKv);
    for (uint64_t m = p.picks; m != 0; m &= m - 1) {
      wire::appendBytesField(out, 11, events.event(std::countr_zero(m)));
    }
  }
  // Past protobuf's limit no reader could parse it: no bytes, as above.
  if (out->size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) out->clear();
}

std::size_t WatchStream::queuedResponses() const {
  std::lock_guard lock(outMu_);
  return out_.size();
}

std::size_t WatchStream::queuedBytes() const {
  std::lock_guard lock(outMu_);
  return bytes_;
}

}  // namespace cairn::watch
