#include "delete_waiter.h"

#include <utility>

#include "recipe.h"

namespace cairn::concurrency {

DeleteWaiter::DeleteWaiter(Core& core, RequestContext ctx, std::string prefix, int64_t maxCreateRev,
                           Result result)
    : core_(core),
      ctx_(std::move(ctx)),
      prefix_(std::move(prefix)),
      maxCreateRev_(maxCreateRev),
      result_(std::move(result)) {}

DeleteWaiter::~DeleteWaiter() {
  closeSession();
}

void DeleteWaiter::start() {
  active_ = true;
  readPredecessor();
}

void DeleteWaiter::cancel() {
  active_ = false;
  result_ = nullptr;
  closeSession();
}

void DeleteWaiter::closeSession() {
  if (session_) {
    session_->close();
    session_.reset();
  }
  watchId_ = 0;
}

void DeleteWaiter::readPredecessor() {
  ++reads_;
  core_.host().kv().range(
      ctx_, lastCreatedUpTo(prefix_, maxCreateRev_),
      core_.resume<etcdserverpb::RangeResponse>(
          shared_from_this(), [this](Status st, etcdserverpb::RangeResponse&& resp) {
            onPredecessor(std::move(st), std::move(resp));
          }));
}

void DeleteWaiter::onPredecessor(Status st, etcdserverpb::RangeResponse&& resp) {
  if (!active_) return;
  if (!st) {
    complete(asClientError(st), {});
    return;
  }
  if (resp.kvs_size() == 0) {
    complete(Status::ok(), std::move(*resp.mutable_header()));
    return;
  }
  // From the read's revision: a deletion after the read is then never missed.
  watchDeletion(resp.kvs(0).key(), resp.header().revision());
}

void DeleteWaiter::watchDeletion(const std::string& key, int64_t fromRevision) {
  if (!session_) {
    std::weak_ptr<DeleteWaiter> weak = weak_from_this();
    Core* core = &core_;
    // onReady runs under the session's lock: only queue the poll.
    session_ = core_.host().watch().open(ctx_, [weak, core] {
      core->post([weak] {
        if (auto self = weak.lock()) self->onWatchReady();
      });
    });
  }
  watchId_ = ++lastWatchId_;
  etcdserverpb::WatchRequest req;
  auto* create = req.mutable_create_request();
  create->set_key(key);
  create->set_start_revision(fromRevision);
  create->set_watch_id(watchId_);
  session_->request(req);
}

void DeleteWaiter::onWatchReady() {
  if (!active_ || !session_) return;
  etcdserverpb::WatchResponse resp;
  while (active_ && session_ && session_->poll(&resp)) {
    if (watchId_ == 0 || resp.watch_id() != watchId_) continue;  // an earlier watcher's tail
    if (resp.canceled()) {
      // clientv3 ends the watch channel with the compaction error, or with
      // the reason the server gave; waitDelete returns it.
      if (resp.compact_revision() != 0) {
        complete(Status(StatusCode::Unknown, std::string(errorInfo(Error::Compacted).message)), {});
      } else {
        complete(Status(StatusCode::Unknown, resp.cancel_reason().empty()
                                                 ? "lost watcher waiting for delete"
                                                 : resp.cancel_reason()),
                 {});
      }
      return;
    }
    for (const mvccpb::Event& ev : resp.events()) {
      if (ev.type() == mvccpb::Event::DELETE) {
        etcdserverpb::WatchRequest cancel;
        cancel.mutable_cancel_request()->set_watch_id(watchId_);
        watchId_ = 0;
        session_->request(cancel);
        readPredecessor();
        break;
      }
    }
  }
}

void DeleteWaiter::complete(Status st, etcdserverpb::ResponseHeader&& header) {
  active_ = false;
  closeSession();
  Result result = std::move(result_);
  result_ = nullptr;
  if (result) result(std::move(st), std::move(header));
}

}  // namespace cairn::concurrency
