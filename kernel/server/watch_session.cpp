#include "watch_session.h"

#include "cairn/errors.h"
#include "grpc_error_text.h"

namespace cairn::server {

void ServerWatchSession::Relay::onReady() {
  std::lock_guard lk(mu_);
  if (onReady_) onReady_();
}

void ServerWatchSession::Relay::send(etcdserverpb::WatchResponse&& response) {
  std::lock_guard lk(mu_);
  sent_.push_back(std::move(response));
}

bool ServerWatchSession::Relay::take(etcdserverpb::WatchResponse* out) {
  std::lock_guard lk(mu_);
  if (sent_.empty()) return false;
  *out = std::move(sent_.front());
  sent_.pop_front();
  return true;
}

void ServerWatchSession::Relay::disable() {
  std::lock_guard lk(mu_);
  onReady_ = nullptr;
  sent_.clear();
}

ServerWatchSession::ServerWatchSession(watch::WatchHub& hub, const ClusterServer& cluster,
                                       Access access, std::function<void()> onReady,
                                       LeaderMonitor* leaderMonitor)
    : cluster_(cluster),
      access_(std::move(access)),
      relay_(std::make_shared<Relay>(std::move(onReady))),
      leaderMonitor_(leaderMonitor) {
  stream_ = hub.newStream(relay_);
  if (leaderMonitor_ != nullptr) {
    // Runs under the monitor's lock, which close() takes before this
    // session goes away.
    monitorToken_ = leaderMonitor_->watch([this](const Status& lost) {
      {
        std::lock_guard lk(failureMu_);
        failure_ = lost;
      }
      relay_->onReady();
    });
  }
}

Status ServerWatchSession::failure() const {
  std::lock_guard lk(failureMu_);
  return failure_;
}

ServerWatchSession::~ServerWatchSession() {
  close();
}

Status ServerWatchSession::authorizeCreate(const etcdserverpb::WatchCreateRequest& create) const {
  if (access_.authorizer == nullptr) return Status::ok();
  if (!access_.authenticated) return access_.authenticated;
  return access_.authorizer->authorize(access_.who, "", create);
}

void ServerWatchSession::request(const etcdserverpb::WatchRequest& req) {
  switch (req.request_union_case()) {
    case etcdserverpb::WatchRequest::kCreateRequest: {
      const auto& c = req.create_request();
      if (Status st = authorizeCreate(c); !st) {
        // Behind whatever the stream already answered; poll() waits meanwhile.
        std::unique_lock order(orderMu_);
        stream_->flush();
        etcdserverpb::WatchResponse refused;
        refused.mutable_header()->set_revision(cluster_.currentHeader().revision());
        // As etcd 3.4's watch server: no watch id (clientv3.InvalidWatchID)
        // and the refusal as grpc-go prints a status error; anything but a
        // bad token, an old revision or a missing user reads as "permission
        // denied".
        refused.set_watch_id(-1);
        refused.set_created(true);
        refused.set_canceled(true);
        Status shown = st;
        if (!st.is(Error::InvalidAuthToken) && !st.is(Error::AuthOldRevision) &&
            !st.is(Error::UserEmpty)) {
          shown = Status(Error::PermissionDenied);
        }
        refused.set_cancel_reason(grpcErrorText(shown));
        relay_->send(std::move(refused));
        order.unlock();
        relay_->onReady();
        break;
      }
      watch::CreateParams p;
      p.key = c.key();
      p.rangeEnd = c.range_end();
      p.startRevision = c.start_revision();
      p.watchId = c.watch_id();
      p.prevKv = c.prev_kv();
      p.progressNotify = c.progress_notify();
      p.fragment = c.fragment();
      for (int f : c.filters()) {
        if (f == etcdserverpb::WatchCreateRequest::NOPUT) p.noPut = true;
        if (f == etcdserverpb::WatchCreateRequest::NODELETE) p.noDelete = true;
      }
      int64_t id = 0;
      // A failure is answered on the stream (created + canceled with the
      // reason), as etcd does; nothing else to do with it here.
      (void)stream_->create(p, &id);
      break;
    }
    case etcdserverpb::WatchRequest::kCancelRequest:
      // An unknown id gets no answer, as in etcd.
      (void)stream_->cancel(req.cancel_request().watch_id());
      break;
    case etcdserverpb::WatchRequest::kProgressRequest:
      stream_->requestProgress();
      break;
    default:
      // etcd ignores request kinds it does not know rather than ending the
      // stream.
      break;
  }
}

bool ServerWatchSession::poll(etcdserverpb::WatchResponse* out) {
  // The relay holds only what request() flushed ahead of a refusal (and the
  // refusal); it comes first, then the stream's queue directly.
  {
    std::lock_guard order(orderMu_);
    if (!relay_->take(out) && !stream_->poll(out)) return false;
  }
  const int64_t rev = out->header().revision();
  *out->mutable_header() = cluster_.header(rev);
  return true;
}

bool ServerWatchSession::pollEncoded(std::string* out) {
  // Outside orderMu_: only the revision differs between responses.
  const etcdserverpb::ResponseHeader header = cluster_.header(0);
  std::lock_guard order(orderMu_);
  etcdserverpb::WatchResponse relayed;
  if (relay_->take(&relayed)) {
    const int64_t rev = relayed.header().revision();
    *relayed.mutable_header() = header;
    relayed.mutable_header()->set_revision(rev);
    out->clear();
    if (!relayed.AppendToString(out)) out->clear();  // too large: see WatchSession
    return true;
  }
  return stream_->pollEncoded(header, out);
}

void ServerWatchSession::close() {
  if (leaderMonitor_ != nullptr) leaderMonitor_->unwatch(monitorToken_);
  stream_->close();
  relay_->disable();
}

}  // namespace cairn::server
