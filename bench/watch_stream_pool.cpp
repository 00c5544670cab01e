#include "watch_stream_pool.h"

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <unordered_map>

#include "grpc_status_name.h"
#include "watch_event_digest.h"

namespace cairn::bench {

namespace {

enum class TagKind { kStart, kRead, kWrite, kAlarm, kFinish, kShutdown };

struct Tag {
  WatchStreamPool::Stream* stream = nullptr;
  TagKind kind = TagKind::kShutdown;
};

}  // namespace

// All fields are owned by the polling thread the stream is bound to.
struct WatchStreamPool::Stream {
  std::size_t index = 0;
  std::size_t firstWatcher = 0;
  std::size_t watcherCount = 0;
  etcdserverpb::Watch::Stub* stub = nullptr;
  StreamReport report;

  grpc::ClientContext context;
  std::unique_ptr<
      grpc::ClientAsyncReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
      call;
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchResponse response;
  grpc::Status status;
  grpc::Alarm alarm;

  Tag startTag{this, TagKind::kStart};
  Tag readTag{this, TagKind::kRead};
  Tag writeTag{this, TagKind::kWrite};
  Tag alarmTag{this, TagKind::kAlarm};
  Tag finishTag{this, TagKind::kFinish};

  std::size_t createsSent = 0;
  std::size_t createdSeen =
      0;  // created responses so far: the next one is watcher firstWatcher+this
  std::unordered_map<std::int64_t, std::size_t> watcherById;
  bool writing = false;
  bool alarmPending = false;
  bool readEnded = false;
  bool finishing = false;
  bool finished = false;
  bool paused = false;
};

class WatchStreamPool::Poller {
 public:
  explicit Poller(WatchStreamPool& pool) : pool_(pool) {}

  void add(Stream* s) { streams_.push_back(s); }
  grpc::CompletionQueue* cq() { return &cq_; }

  // Called from the main thread: the alarm hands shutdown to the poller
  // thread, which owns the streams.
  void requestShutdown() { shutdownAlarm_.Set(&cq_, gpr_now(GPR_CLOCK_MONOTONIC), &shutdownTag_); }

  void run() {
    for (Stream* s : streams_) {
      s->call = s->stub->PrepareAsyncWatch(&s->context, &cq_);
      s->call->StartCall(&s->startTag);
    }
    void* raw = nullptr;
    bool ok = false;
    while (cq_.Next(&raw, &ok)) {
      auto* tag = static_cast<Tag*>(raw);
      if (tag->kind == TagKind::kShutdown) {
        beginShutdown();
      } else {
        handle(*tag->stream, tag->kind, ok);
      }
      if (shuttingDown_ && finishedStreams_ == streams_.size() && !cqShutdown_) {
        cqShutdown_ = true;
        cq_.Shutdown();  // Next() drains what is left, then returns false
      }
    }
  }

  std::atomic<std::int64_t> created{0};  // written by this poller, read by main
  std::atomic<std::int64_t> events{0};   // written by this poller, read by main
  std::atomic<std::int64_t> ended{0};    // streams that ended before shutdown

 private:
  void beginShutdown() {
    shuttingDown_ = true;
    for (Stream* s : streams_) {
      s->context.TryCancel();
      if (s->alarmPending) s->alarm.Cancel();
    }
  }

  void handle(Stream& s, TagKind kind, bool ok) {
    switch (kind) {
      case TagKind::kStart:
        if (!ok) {
          s.readEnded = true;
          maybeFinish(s);
          return;
        }
        startRead(s);
        startWrite(s);
        return;
      case TagKind::kWrite:
        s.writing = false;
        if (ok) startWrite(s);
        maybeFinish(s);
        return;
      case TagKind::kRead:
        if (!ok) {
          s.readEnded = true;
          maybeFinish(s);
          return;
        }
        process(s);
        if (shouldPause(s)) {
          s.paused = true;
          s.report.pausedAtMicros = pool_.clock_.micros();
          s.alarmPending = true;
          s.alarm.Set(&cq_, std::chrono::system_clock::now() + pool_.options_.slowPause,
                      &s.alarmTag);
        } else {
          startRead(s);
        }
        return;
      case TagKind::kAlarm:
        s.alarmPending = false;
        s.report.resumedAtMicros = pool_.clock_.micros();
        if (ok && !shuttingDown_) {
          startRead(s);
        } else {
          // Cancelled at shutdown: nothing more will be read.
          s.readEnded = true;
          maybeFinish(s);
        }
        return;
      case TagKind::kFinish:
        s.finished = true;
        ++finishedStreams_;
        if (!shuttingDown_) {
          ended.fetch_add(1, std::memory_order_relaxed);
          s.report.errors.push_back("stream ended before the run finished: " +
                                    describeStatus(s.status));
        }
        return;
      case TagKind::kShutdown:
        return;
    }
  }

  void startRead(Stream& s) { s.call->Read(&s.response, &s.readTag); }

  void startWrite(Stream& s) {
    if (s.writing || shuttingDown_ || s.readEnded || s.createsSent >= s.watcherCount) return;
    std::size_t w = s.firstWatcher + s.createsSent++;
    const WatcherSpec& spec = pool_.specs_[w];
    s.request.Clear();
    auto* create = s.request.mutable_create_request();
    create->set_key(spec.key);
    create->set_range_end(spec.rangeEnd);
    create->set_start_revision(pool_.startRevisions_[w]);
    create->set_prev_kv(spec.prevKv);
    if (spec.noPut) create->add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
    if (spec.noDelete) create->add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
    s.writing = true;
    s.call->Write(s.request, &s.writeTag);
  }

  void maybeFinish(Stream& s) {
    if (!s.readEnded || s.writing || s.alarmPending || s.finishing) return;
    s.finishing = true;
    s.call->Finish(&s.status, &s.finishTag);
  }

  bool shouldPause(const Stream& s) const {
    return s.report.slow && !s.paused && !shuttingDown_ && s.response.events_size() > 0 &&
           pool_.slowPauseArmed_.load(std::memory_order_relaxed);
  }

  void error(Stream& s, std::string message) {
    // A broken server could repeat one mistake per event; keep the first few.
    if (s.report.errors.size() < 20) s.report.errors.push_back(std::move(message));
  }

  void process(Stream& s) {
    const auto& r = s.response;
    std::int64_t at = pool_.clock_.micros();
    std::size_t w = 0;
    if (r.created()) {
      if (s.createdSeen >= s.createsSent) {
        error(s, "created response (watch_id " + std::to_string(r.watch_id()) +
                     ") without an outstanding create request");
        return;
      }
      w = s.firstWatcher + s.createdSeen++;
      WatcherLog& log = pool_.logs_[w];
      ++log.created;
      log.watchId = r.watch_id();
      if (!s.watcherById.emplace(r.watch_id(), w).second) {
        error(s, "watch_id " + std::to_string(r.watch_id()) + " was created twice on one stream");
      }
      created.fetch_add(1, std::memory_order_relaxed);
    } else {
      auto it = s.watcherById.find(r.watch_id());
      if (it == s.watcherById.end()) {
        error(s, "response for unknown watch_id " + std::to_string(r.watch_id()) + " with " +
                     std::to_string(r.events_size()) + " events");
        return;
      }
      w = it->second;
    }
    WatcherLog& log = pool_.logs_[w];
    if (r.canceled()) {
      log.canceled = true;
      log.cancelReason = r.cancel_reason();
    }
    if (r.compact_revision() != 0) {
      error(s, "watcher " + std::to_string(w) + " was told compact_revision " +
                   std::to_string(r.compact_revision()) + " although the run never compacts");
    }
    for (const auto& ev : r.events()) {
      ReceivedEvent rec;
      rec.modRevision = ev.kv().mod_revision();
      rec.atMicros = at;
      rec.kvDigest = kvDigest(ev.kv());
      rec.hasPrev = ev.has_prev_kv();
      rec.prevDigest = rec.hasPrev ? kvDigest(ev.prev_kv()) : 0;
      rec.keyId = pool_.keys_.idOf(ev.kv().key());
      rec.bytes = static_cast<std::uint32_t>(ev.ByteSizeLong());
      rec.isDelete = ev.type() == mvccpb::Event::DELETE;
      log.events.push_back(rec);
    }
    events.fetch_add(r.events_size(), std::memory_order_relaxed);
  }

  WatchStreamPool& pool_;
  grpc::CompletionQueue cq_;
  grpc::Alarm shutdownAlarm_;
  Tag shutdownTag_{nullptr, TagKind::kShutdown};
  std::vector<Stream*> streams_;
  bool shuttingDown_ = false;
  bool cqShutdown_ = false;
  std::size_t finishedStreams_ = 0;
};

WatchStreamPool::WatchStreamPool(const WatchOptions& options, const RunClock& clock,
                                 const WatchKeySpace& keys, const std::vector<WatcherSpec>& specs,
                                 const std::vector<std::shared_ptr<grpc::Channel>>& channels)
    : options_(options), clock_(clock), keys_(keys), specs_(specs), logs_(specs.size()) {
  for (const auto& channel : channels) stubs_.push_back(etcdserverpb::Watch::NewStub(channel));
  int threads = std::min(options.threads, options.streams);
  for (int t = 0; t < threads; ++t) pollers_.push_back(std::make_unique<Poller>(*this));
  for (int i = 0; i < options.streams; ++i) {
    auto s = std::make_unique<Stream>();
    s->index = static_cast<std::size_t>(i);
    s->firstWatcher = static_cast<std::size_t>(i) * options.watchersPerStream;
    s->watcherCount = static_cast<std::size_t>(options.watchersPerStream);
    s->stub = stubs_[static_cast<std::size_t>(i) % stubs_.size()].get();
    s->report.slow = i < options.slowStreams;
    pollers_[static_cast<std::size_t>(i) % pollers_.size()]->add(s.get());
    streams_.push_back(std::move(s));
  }
}

WatchStreamPool::~WatchStreamPool() {
  stop();
}

void WatchStreamPool::start(const std::vector<std::int64_t>& startRevisions) {
  startRevisions_ = startRevisions;
  for (auto& p : pollers_) threads_.emplace_back([p = p.get()] { p->run(); });
}

std::int64_t WatchStreamPool::created() const {
  std::int64_t n = 0;
  for (const auto& p : pollers_) n += p->created.load(std::memory_order_relaxed);
  return n;
}

std::int64_t WatchStreamPool::eventsReceived() const {
  std::int64_t n = 0;
  for (const auto& p : pollers_) n += p->events.load(std::memory_order_relaxed);
  return n;
}

std::int64_t WatchStreamPool::streamsEnded() const {
  std::int64_t n = 0;
  for (const auto& p : pollers_) n += p->ended.load(std::memory_order_relaxed);
  return n;
}

void WatchStreamPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (threads_.empty()) return;
  for (auto& p : pollers_) p->requestShutdown();
  for (auto& t : threads_) t.join();
}

const StreamReport& WatchStreamPool::stream(std::size_t index) const {
  return streams_[index]->report;
}

std::size_t WatchStreamPool::streamCount() const {
  return streams_.size();
}

}  // namespace cairn::bench
