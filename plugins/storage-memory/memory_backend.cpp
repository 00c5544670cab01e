#include "memory_backend.h"

#include <algorithm>

#include "cairn/storage_stream.h"

namespace cairn::storage {

namespace {

// Rough per-version bookkeeping cost (map node, vector slot, string headers),
// so sizeAllocated reflects many small keys, not only their bytes.
constexpr uint64_t kVersionOverhead = 96;
// Range scans step at most this many entries per shared-lock hold.
constexpr std::size_t kScanChunk = 256;

uint64_t versionBytes(const std::string& key, const MemoryBackend::Version& v) {
  return key.size() + (v.value ? v.value->size() : 0) + kVersionOverhead;
}

Status notOpen() {
  return Status(StatusCode::FailedPrecondition, "memory backend is not open");
}

class MemoryReadTxn : public ReadTxn {
 public:
  explicit MemoryReadTxn(std::shared_ptr<MemoryBackend::State> state) : state_(std::move(state)) {
    std::unique_lock lock(state_->mutex);
    seq_ = state_->commitSeq;
    state_->readers.insert(seq_);
  }
  ~MemoryReadTxn() override {
    std::unique_lock lock(state_->mutex);
    state_->readers.erase(state_->readers.find(seq_));
  }

  std::optional<std::string> get(std::string_view bucket, std::string_view key) override {
    std::shared_lock lock(state_->mutex);
    auto b = state_->buckets.find(bucket);
    if (b == state_->buckets.end()) return std::nullopt;
    auto it = b->second.find(key);
    if (it == b->second.end()) return std::nullopt;
    const std::string* v = MemoryBackend::State::visible(it->second, seq_);
    if (v == nullptr) return std::nullopt;
    return *v;
  }

  Status range(std::string_view bucket, std::string_view begin, std::string_view end,
               std::size_t limit, bool reverse, const KeyValueVisitor& visit) override {
    std::vector<std::pair<std::string, std::string>> chunk;
    std::string cursor;  // last key scanned by the previous chunk
    bool first = true;
    std::size_t visited = 0;
    bool exhausted = false;
    while (!exhausted) {
      chunk.clear();
      {
        std::shared_lock lock(state_->mutex);
        auto b = state_->buckets.find(bucket);
        if (b == state_->buckets.end()) return Status::ok();
        const MemoryBackend::Bucket& keys = b->second;
        std::size_t scanned = 0;
        if (!reverse) {
          auto it = first ? keys.lower_bound(begin) : keys.upper_bound(cursor);
          for (; scanned < kScanChunk; ++it, ++scanned) {
            if (it == keys.end() || (!end.empty() && std::string_view(it->first) >= end)) {
              exhausted = true;
              break;
            }
            cursor = it->first;
            if (const std::string* v = MemoryBackend::State::visible(it->second, seq_)) {
              chunk.emplace_back(it->first, *v);
            }
          }
        } else {
          auto it =
              first ? (end.empty() ? keys.end() : keys.lower_bound(end)) : keys.lower_bound(cursor);
          for (; scanned < kScanChunk; ++scanned) {
            if (it == keys.begin()) {
              exhausted = true;
              break;
            }
            --it;
            if (std::string_view(it->first) < begin) {
              exhausted = true;
              break;
            }
            cursor = it->first;
            if (const std::string* v = MemoryBackend::State::visible(it->second, seq_)) {
              chunk.emplace_back(it->first, *v);
            }
          }
        }
      }
      first = false;
      // The visitor runs without the lock: it may be slow or read again.
      for (const auto& [k, v] : chunk) {
        if (limit != 0 && visited >= limit) return Status::ok();
        ++visited;
        if (!visit(k, v)) return Status::ok();
      }
      if (limit != 0 && visited >= limit) return Status::ok();
    }
    return Status::ok();
  }

  uint64_t seq() const { return seq_; }
  const std::shared_ptr<MemoryBackend::State>& state() const { return state_; }

 private:
  std::shared_ptr<MemoryBackend::State> state_;
  uint64_t seq_ = 0;  // immutable after construction
};

}  // namespace

const std::string* MemoryBackend::State::visible(const std::vector<Version>& versions,
                                                 uint64_t seq) {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->seq <= seq) return it->value ? &*it->value : nullptr;
  }
  return nullptr;
}

bool MemoryBackend::State::collect(Bucket& bucket, Bucket::iterator it, uint64_t horizon) {
  std::vector<Version>& versions = it->second;
  // Every reader's sequence is >= horizon, so the newest version at or below
  // the horizon hides all older ones from everybody.
  std::size_t keepFrom = 0;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    if (versions[i].seq <= horizon) keepFrom = i;
  }
  for (std::size_t i = 0; i < keepFrom; ++i) totalBytes -= versionBytes(it->first, versions[i]);
  versions.erase(versions.begin(), versions.begin() + static_cast<std::ptrdiff_t>(keepFrom));
  if (versions.size() == 1 && !versions.front().value && versions.front().seq <= horizon) {
    totalBytes -= versionBytes(it->first, versions.front());
    bucket.erase(it);
    return true;
  }
  return versions.size() == 1 && versions.front().value.has_value();
}

void MemoryBackend::State::sweep() {
  uint64_t h = horizon();
  if (h == gcHorizon || pendingGc.empty()) return;
  gcHorizon = h;
  for (auto p = pendingGc.begin(); p != pendingGc.end();) {
    bool clean = true;
    auto b = buckets.find(p->first);
    if (b != buckets.end()) {
      auto it = b->second.find(p->second);
      if (it != b->second.end()) clean = collect(b->second, it, h);
    }
    p = clean ? pendingGc.erase(p) : std::next(p);
  }
}

MemoryBackend::MemoryBackend() : state_(std::make_shared<State>()) {}
MemoryBackend::~MemoryBackend() = default;

std::shared_ptr<MemoryBackend::State> MemoryBackend::current() const {
  std::lock_guard lock(stateMutex_);
  return state_;
}

Status MemoryBackend::open(const Options&) {
  std::lock_guard writer(writeMutex_);
  std::lock_guard lock(stateMutex_);
  // Nothing survives a close: a memory member always starts empty.
  state_ = std::make_shared<State>();
  open_ = true;
  return Status::ok();
}

void MemoryBackend::close() {
  std::lock_guard writer(writeMutex_);
  std::lock_guard lock(stateMutex_);
  state_ = std::make_shared<State>();
  open_ = false;
}

Status MemoryBackend::commit(const WriteBatch& batch) {
  std::lock_guard writer(writeMutex_);
  if (!open_) return notOpen();
  std::shared_ptr<State> s = current();
  std::unique_lock lock(s->mutex);
  const uint64_t seq = s->commitSeq + 1;
  const uint64_t horizon = s->horizon();

  // Writes a version at `seq` (nullopt = delete) over the key at `it`; may
  // erase `it` when the key ends up as an invisible tombstone.
  auto write = [&](const std::string& bucketName, Bucket& bucket, Bucket::iterator it,
                   std::optional<std::string> value) {
    std::vector<Version>& versions = it->second;
    if (!versions.empty() && versions.back().value) {
      s->liveBytes -= it->first.size() + versions.back().value->size();
    }
    if (value) s->liveBytes += it->first.size() + value->size();
    if (!versions.empty() && versions.back().seq == seq) {
      // Written earlier in this same batch: no reader can see that version.
      s->totalBytes -= versionBytes(it->first, versions.back());
      versions.back().value = std::move(value);
    } else {
      versions.push_back(Version{seq, std::move(value)});
    }
    s->totalBytes += versionBytes(it->first, versions.back());
    std::string key = it->first;
    if (!s->collect(bucket, it, horizon)) s->pendingGc.emplace(bucketName, std::move(key));
  };

  for (const WriteBatch::Op& op : batch.ops()) {
    switch (op.type) {
      case WriteBatch::OpType::Put: {
        auto b = s->buckets.try_emplace(op.bucket).first;
        write(b->first, b->second, b->second.try_emplace(op.key).first, op.value);
        break;
      }
      case WriteBatch::OpType::Delete: {
        auto b = s->buckets.find(op.bucket);
        if (b == s->buckets.end()) break;
        auto it = b->second.find(op.key);
        if (it == b->second.end() || !it->second.back().value) break;
        write(b->first, b->second, it, std::nullopt);
        break;
      }
      case WriteBatch::OpType::DeleteRange: {
        // An empty end deletes to the end of the bucket, as in ReadTxn::range.
        auto b = s->buckets.find(op.bucket);
        if (b == s->buckets.end()) break;
        Bucket& keys = b->second;
        auto it = keys.lower_bound(op.key);
        while (it != keys.end() && (op.value.empty() || it->first < op.value)) {
          auto next = std::next(it);
          if (it->second.back().value) write(b->first, keys, it, std::nullopt);
          it = next;
        }
        break;
      }
    }
  }
  s->commitSeq = seq;
  s->sweep();
  return Status::ok();
}

Status MemoryBackend::sync() {
  // Nothing to make durable: this backend is not persistent by design.
  return Status::ok();
}

std::unique_ptr<ReadTxn> MemoryBackend::beginRead() {
  return std::make_unique<MemoryReadTxn>(current());
}

uint64_t MemoryBackend::sizeAllocated() {
  std::shared_ptr<State> s = current();
  std::shared_lock lock(s->mutex);
  return s->totalBytes;
}

uint64_t MemoryBackend::sizeInUse() {
  std::shared_ptr<State> s = current();
  std::shared_lock lock(s->mutex);
  return s->liveBytes;
}

Status MemoryBackend::defragment() {
  std::lock_guard writer(writeMutex_);
  if (!open_) return notOpen();
  std::shared_ptr<State> s = current();
  std::unique_lock lock(s->mutex);
  s->gcHorizon = 0;  // force a full sweep even if no reader moved
  s->sweep();
  for (auto b = s->buckets.begin(); b != s->buckets.end();) {
    b = b->second.empty() ? s->buckets.erase(b) : std::next(b);
  }
  return Status::ok();
}

Status MemoryBackend::exportState(const std::function<Status(std::string_view chunk)>& sink) {
  {
    std::lock_guard writer(writeMutex_);
    if (!open_) return notOpen();
  }
  MemoryReadTxn txn(current());
  std::vector<std::string> names;
  {
    std::shared_lock lock(txn.state()->mutex);
    for (const auto& [name, keys] : txn.state()->buckets) names.push_back(name);
  }
  StreamEncoder encoder(sink);
  Status st = encoder.begin();
  for (const std::string& name : names) {
    if (!st.isOk()) return st;
    Status scan = txn.range(name, "", "", 0, false, [&](std::string_view k, std::string_view v) {
      st = encoder.add(name, k, v);
      return st.isOk();
    });
    if (!scan.isOk()) return scan;
  }
  if (!st.isOk()) return st;
  return encoder.finish();
}

Status MemoryBackend::importState(const std::function<bool(std::string& chunk)>& source) {
  std::lock_guard writer(writeMutex_);
  if (!open_) return notOpen();
  // Staged in a fresh State: the live one stays untouched unless the whole
  // stream verifies.
  auto fresh = std::make_shared<State>();
  fresh->commitSeq = 1;
  StreamDecoder decoder(source);
  StreamRecord rec;
  for (;;) {
    bool done = false;
    Status st = decoder.next(rec, done);
    if (!st.isOk()) return st;
    if (done) break;
    Bucket& keys = fresh->buckets[rec.bucket];
    auto [it, inserted] = keys.try_emplace(std::move(rec.key));
    if (!inserted) {
      // A repeated key (not produced by exportState): the last one wins.
      fresh->liveBytes -= it->first.size() + it->second.back().value->size();
      fresh->totalBytes -= versionBytes(it->first, it->second.back());
      it->second.clear();
    }
    it->second.push_back(Version{1, std::move(rec.value)});
    fresh->liveBytes += it->first.size() + it->second.back().value->size();
    fresh->totalBytes += versionBytes(it->first, it->second.back());
  }
  std::lock_guard lock(stateMutex_);
  state_ = std::move(fresh);
  return Status::ok();
}

}  // namespace cairn::storage
