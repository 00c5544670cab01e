#include "lock_calls.h"

#include <string>
#include <utility>

#include "recipe.h"

namespace cairn::concurrency {

void LockCall::start() {
  phase_ = Phase::Session;
  withSessionLease(req_.lease(),
                   [this](Status st, int64_t lease) { onLease(std::move(st), lease); });
}

void LockCall::onLease(Status st, int64_t lease) {
  if (finished()) return;  // abandoned during the grant; the lease just expires
  if (!st) {
    fail(asClientError(st));
    return;
  }
  prefix_ = keyPrefix(req_.name());
  key_ = ownerKey(prefix_, lease);
  phase_ = Phase::Txn;
  core_.host().kv().txn(ctx_, lockTxn(prefix_, key_, lease),
                        core_.resume<etcdserverpb::TxnResponse>(
                            shared_from_this(), [this](Status st, etcdserverpb::TxnResponse&& r) {
                              onTxn(std::move(st), std::move(r));
                            }));
}

void LockCall::onTxn(Status st, etcdserverpb::TxnResponse&& resp) {
  if (finished()) {
    // The caller left while the transaction was in flight. A key it created
    // would queue (or hold) the lock for nobody until its lease expired.
    if (st && resp.succeeded()) cleanupDelete(key_);
    return;
  }
  if (!st) {
    fail(asClientError(st));
    return;
  }
  if (resp.responses_size() != 2) {
    fail(Status(StatusCode::Internal, "concurrency: lock transaction answered " +
                                          std::to_string(resp.responses_size()) + " responses"));
    return;
  }
  int64_t myRev = resp.header().revision();
  if (!resp.succeeded()) {
    // The key already existed (this lease locked before): keep its place.
    const auto& own = resp.responses(0).response_range();
    if (own.kvs_size() == 0) {
      fail(Status(StatusCode::Internal, "concurrency: lock key vanished inside a transaction"));
      return;
    }
    myRev = own.kvs(0).create_revision();
  }
  const auto& owner = resp.responses(1).response_range();
  if (owner.kvs_size() == 0 || owner.kvs(0).create_revision() == myRev) {
    acquired(std::move(*resp.mutable_header()));
    return;
  }
  phase_ = Phase::Waiting;
  waiter_ = std::make_shared<DeleteWaiter>(
      core_, ctx_, prefix_, myRev - 1, [this](Status st, etcdserverpb::ResponseHeader&& header) {
        onWaited(std::move(st), std::move(header));
      });
  waiter_->start();
}

void LockCall::onWaited(Status st, etcdserverpb::ResponseHeader&& header) {
  waiter_.reset();
  if (!st) {
    cleanupDelete(key_);  // Mutex.Lock releases its key when the wait fails
    fail(std::move(st));
    return;
  }
  acquired(std::move(header));
}

void LockCall::acquired(etcdserverpb::ResponseHeader&& header) {
  v3lockpb::LockResponse out;
  *out.mutable_header() = std::move(header);
  out.set_key(key_);
  finish(Status::ok(), std::move(out));
}

void LockCall::abandon(Status why) {
  if (phase_ == Phase::Waiting && waiter_) {
    waiter_->cancel();
    waiter_.reset();
    cleanupDelete(key_);
  }
  // In the Session and Txn phases the completion, when it lands, cleans up.
  fail(std::move(why));
}

void UnlockCall::start() {
  etcdserverpb::DeleteRangeRequest del;
  del.set_key(req_.key());
  core_.host().kv().deleteRange(
      ctx_, del,
      core_.resume<etcdserverpb::DeleteRangeResponse>(
          shared_from_this(), [this](Status st, etcdserverpb::DeleteRangeResponse&& resp) {
            if (!st) {
              fail(asClientError(st));
              return;
            }
            v3lockpb::UnlockResponse out;
            *out.mutable_header() = std::move(*resp.mutable_header());
            finish(Status::ok(), std::move(out));
          }));
}

}  // namespace cairn::concurrency
