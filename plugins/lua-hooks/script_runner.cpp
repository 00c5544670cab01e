#include "script_runner.h"

#include <utility>

#include "progress_store.h"

namespace cairn::luahooks {
namespace {

constexpr const char* kCaller = "lua-hooks/script_runner.cpp";
// How often an idle runner re-proposes progress whose proposal failed.
constexpr std::chrono::milliseconds kIdlePump{200};
// How often the runner asks its session for a progress notification, which
// moves idle handlers' progress to the head.
constexpr std::chrono::seconds kProgressRequestEvery{5};
// How long stop() waits for the last progress to apply.
constexpr std::chrono::milliseconds kFlushTimeout{3000};

}  // namespace

ScriptRunner::ScriptRunner(Host& host, Script& script, HookMetrics& metrics)
    : host_(host),
      script_(script),
      metrics_(metrics),
      kv_(host),
      progress_(std::make_shared<ProgressWriter>(host)),
      handlers_(script.handlers().size()) {}

ScriptRunner::~ScriptRunner() {
  stop();
}

void ScriptRunner::start() {
  thread_ = std::thread([this] { run(); });
}

void ScriptRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ScriptRunner::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

bool ScriptRunner::sleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

void ScriptRunner::run() {
  session_ = host_.watch().open(RequestContext::internal(), [this] {
    // A kernel thread, possibly under the session's lock: only flag it.
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_ = true;
    }
    cv_.notify_all();
  });
  std::vector<std::string> starts;
  for (size_t h = 0; h < handlers_.size(); ++h) {
    int64_t from = 0;
    if (!startFrom(h, &from)) break;
    createWatcher(h, from);
    starts.push_back(script_.handlers()[h].id + " from " + std::to_string(from));
  }
  if (starts.size() == handlers_.size()) {
    // Tools and tests wait for this line: from here no event is missed.
    host_.logger().info(
        kCaller, "Lua hook script running",
        jsonField("script", script_.name()) + "," + jsonArrayField("handlers", starts));
  }
  auto nextProgressRequest = std::chrono::steady_clock::now() + kProgressRequestEvery;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kIdlePump, [this] { return ready_ || stopping_; });
      if (stopping_) break;
      ready_ = false;
    }
    progress_->pump();
    if (std::chrono::steady_clock::now() >= nextProgressRequest) {
      nextProgressRequest = std::chrono::steady_clock::now() + kProgressRequestEvery;
      etcdserverpb::WatchRequest req;
      req.mutable_progress_request();
      session_->request(req);
    }
    etcdserverpb::WatchResponse resp;
    while (!stopping() && session_->poll(&resp)) onResponse(resp);
  }
  session_->close();
  if (!progress_->flush(kFlushTimeout)) {
    host_.logger().warn(kCaller,
                        "stopped before the last handler progress applied; those events "
                        "will be handled again",
                        jsonField("script", script_.name()));
  }
  session_.reset();
}

bool ScriptRunner::startFrom(size_t handler, int64_t* from) {
  const HandlerSpec& spec = script_.handlers()[handler];
  while (!stopping()) {
    std::optional<int64_t> recorded;
    Status st = readProgress(host_, spec.id, &recorded);
    if (st && recorded) {
      *from = *recorded + 1;
      return true;
    }
    if (st) {
      // A new handler starts with the events after now. Its start is
      // recorded before it watches, so a crash before its first event
      // cannot make it start later than this.
      etcdserverpb::RangeRequest probe;
      probe.set_key(spec.key);
      probe.set_count_only(true);
      etcdserverpb::RangeResponse now;
      st = kv_.range(probe, &now);
      if (st) {
        progress_->record(spec.id, now.header().revision());
        if (progress_->flush(kFlushTimeout)) {
          *from = now.header().revision() + 1;
          host_.logger().info(
              kCaller, "new handler starts after the current revision",
              jsonField("handler", spec.id) + "," +
                  jsonField("revision", static_cast<long long>(now.header().revision())));
          return true;
        }
        st = Status(Error::Timeout);
      }
    }
    host_.logger().warn(kCaller, "cannot read a handler's progress; retrying",
                        jsonField("handler", spec.id) + "," + jsonField("error", st.message()));
    if (!sleepFor(std::chrono::milliseconds(500))) break;
  }
  return false;
}

void ScriptRunner::createWatcher(size_t handler, int64_t from) {
  const HandlerSpec& spec = script_.handlers()[handler];
  etcdserverpb::WatchRequest req;
  auto* create = req.mutable_create_request();
  create->set_key(spec.key);
  create->set_range_end(spec.rangeEnd);
  create->set_start_revision(from);
  create->set_prev_kv(spec.prevKv);
  create->set_watch_id(static_cast<int64_t>(handler) + 1);
  if (spec.noPut) create->add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  if (spec.noDelete) create->add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  handlers_[handler] = HandlerState{from - 1, 0, true};
  session_->request(req);
}

void ScriptRunner::onResponse(const etcdserverpb::WatchResponse& resp) {
  const int64_t id = resp.watch_id();
  if (id == -1 && resp.events_size() == 0 && !resp.canceled()) {
    // The answer to our progress request: every watcher of the session has
    // been sent everything up to this revision, and all of it was handled
    // before this response was taken. Recording it keeps an idle handler's
    // progress near the head, so compaction does not overtake it.
    for (size_t h = 0; h < handlers_.size(); ++h) {
      if (handlers_[h].live) completed(h, resp.header().revision());
    }
    return;
  }
  if (id < 1 || static_cast<size_t>(id) > handlers_.size()) return;
  const size_t h = static_cast<size_t>(id - 1);
  const HandlerSpec& spec = script_.handlers()[h];
  HandlerState& state = handlers_[h];
  if (resp.canceled()) {
    state.live = false;
    if (resp.compact_revision() == 0) {
      host_.logger().error(
          kCaller, "the handler's watch was cancelled",
          jsonField("handler", spec.id) + "," + jsonField("reason", resp.cancel_reason()));
      metrics_.error(script_.name(), FailureKind::Runtime);
      return;
    }
    // The revisions between the handler's progress and the compaction are
    // gone: their events can never be delivered. Resume at the oldest
    // revision kept, say so loudly and count it.
    host_.logger().error(
        kCaller, "handler progress was compacted; events before the compaction are missed",
        jsonField("handler", spec.id) + "," +
            jsonField("progress", static_cast<long long>(state.revision)) + "," +
            jsonField("compact-revision", static_cast<long long>(resp.compact_revision())));
    metrics_.compacted(script_.name());
    completed(h, resp.compact_revision() - 1);
    createWatcher(h, resp.compact_revision());
    return;
  }
  for (const mvccpb::Event& ev : resp.events()) {
    const int64_t rev = ev.kv().mod_revision();
    if (rev != state.revision) {
      completed(h, state.revision);
      state.revision = rev;
      state.index = 0;
    }
    if (!handle(h, ev, state.index)) return;  // stopping: this revision is not done
    ++state.index;
  }
  // The kernel delivers a revision's events in one response (history is
  // read up to a revision boundary), so the last revision is done too.
  if (resp.events_size() > 0) completed(h, state.revision);
}

void ScriptRunner::completed(size_t handler, int64_t revision) {
  if (revision > 0) progress_->record(script_.handlers()[handler].id, revision);
}

bool ScriptRunner::handle(size_t handler, const mvccpb::Event& ev, int64_t index) {
  const HandlerSpec& spec = script_.handlers()[handler];
  for (int attempt = 1;; ++attempt) {
    if (stopping()) return false;
    CallResult result = script_.handle(handler, ev, index, kv_);
    if (result.ok()) {
      metrics_.handled(script_.name());
      return true;
    }
    metrics_.error(script_.name(), result.kind);
    const std::string fields =
        jsonField("handler", spec.id) + "," + jsonField("error", result.message) + "," +
        jsonField("kind", failureKindName(result.kind)) + "," +
        jsonField("revision", static_cast<long long>(ev.kv().mod_revision())) + "," +
        jsonField("key", ev.kv().key()) + "," +
        jsonField("attempt", static_cast<long long>(attempt));
    if (attempt >= RetryPolicy::kMaxAttempts) {
      host_.logger().error(kCaller, "Lua hook handler failed on every attempt; event skipped",
                           fields);
      metrics_.gaveUp(script_.name());
      return true;
    }
    host_.logger().warn(kCaller, "Lua hook handler failed; retrying", fields);
    if (!sleepFor(RetryPolicy::kRetryDelays[attempt - 1])) return false;
  }
}

}  // namespace cairn::luahooks
