#include "watch/watch_stream.h"

#include <algorithm>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "watch/watch_hub.h"

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

bool WatchStream::pushEvents(const std::shared_ptr<Watcher>& w, etcdserverpb::WatchResponse&& r,
                             std::size_t maxBytes, std::size_t capacity, bool* becameReady) {
  std::lock_guard lock(outMu_);
  if (w->queued >= capacity) return false;
  const bool wasEmpty = out_.empty();
  ++w->queued;
  w->sentSinceTick = true;
  if (!w->fragment || maxBytes == 0 || r.events_size() < 2 || r.ByteSizeLong() < maxBytes) {
    out_.push_back(Out{std::move(r), w});
  } else {
    // etcd's sendFragments: fill each fragment while it stays under the limit,
    // at least one event per fragment; fragment=true on all but the last.
    etcdserverpb::WatchResponse base = r;
    base.clear_events();
    base.set_fragment(true);
    const int n = r.events_size();
    int idx = 0;
    while (idx < n) {
      etcdserverpb::WatchResponse cur = base;
      std::size_t size = cur.ByteSizeLong();
      while (idx < n) {
        const std::size_t ev = r.events(idx).ByteSizeLong();
        const std::size_t entry =
            1 + google::protobuf::io::CodedOutputStream::VarintSize64(ev) + ev;
        if (cur.events_size() >= 1 && size + entry >= maxBytes) break;
        *cur.add_events() = std::move(*r.mutable_events(idx));
        size += entry;
        ++idx;
      }
      const bool last = idx == n;
      if (last) cur.set_fragment(false);
      // The fragments are one logical response: only the last one counts.
      out_.push_back(Out{std::move(cur), last ? w : nullptr});
    }
  }
  if (wasEmpty) *becameReady = true;
  return true;
}

void WatchStream::pushControl(etcdserverpb::WatchResponse&& r, bool* becameReady) {
  std::lock_guard lock(outMu_);
  if (out_.empty()) *becameReady = true;
  out_.push_back(Out{std::move(r), nullptr});
}

void WatchStream::dropQueued(int64_t watchId) {
  std::lock_guard lock(outMu_);
  std::erase_if(out_, [&](const Out& o) { return o.response.watch_id() == watchId; });
}

void WatchStream::takeLocked(Out& o, etcdserverpb::WatchResponse* out) {
  if (o.counted) --o.counted->queued;
  *out = std::move(o.response);
}

std::size_t WatchStream::flush(std::size_t max) {
  std::lock_guard flushLock(flushMu_);
  std::size_t sent = 0;
  std::vector<etcdserverpb::WatchResponse> batch;
  while (sent < max) {
    batch.clear();
    {
      std::lock_guard lock(outMu_);
      while (!out_.empty() && sent + batch.size() < max) {
        takeLocked(out_.front(), &batch.emplace_back());
        out_.pop_front();
      }
    }
    if (batch.empty()) break;
    for (auto& r : batch) sink_.send(std::move(r));
    sent += batch.size();
  }
  return sent;
}

bool WatchStream::poll(etcdserverpb::WatchResponse* out) {
  std::lock_guard lock(outMu_);
  if (out_.empty()) return false;
  takeLocked(out_.front(), out);
  out_.pop_front();
  return true;
}

std::size_t WatchStream::queuedResponses() const {
  std::lock_guard lock(outMu_);
  return out_.size();
}

}  // namespace cairn::watch
