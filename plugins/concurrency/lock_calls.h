// The v3lockpb.Lock service's calls, etcd 3.4's semantics (v3lock/lock.go
// over clientv3/concurrency.Mutex).
//
// Lock: own `<name>/<lease hex>` (created bound to the lease if absent; an
// existing one, from an earlier Lock with the same lease, is reused), then
// wait until every key under `<name>/` created before it is gone. Answers the
// key and a response header: the creating transaction's when the lock was
// free, else the header of the read that found no predecessor left. A Lock
// that ends waiting (cancelled, deadline, error) deletes its key, so it never
// holds the lock for a caller that left.
//
// Unlock: delete the key.
#pragma once

#include <memory>
#include <string>

#include "core.h"
#include "delete_waiter.h"
#include "v3lockpb/v3lock.pb.h"

namespace cairn::concurrency {

class LockCall final : public UnaryCall<v3lockpb::LockResponse> {
 public:
  LockCall(Core& core, RequestContext ctx, const v3lockpb::LockRequest& req,
           Done<v3lockpb::LockResponse> done)
      : UnaryCall(core, std::move(ctx), std::move(done)), req_(req) {}

  void start() override;
  void abandon(Status why) override;

 private:
  enum class Phase { Idle, Session, Txn, Waiting };

  void onLease(Status st, int64_t lease);
  void onTxn(Status st, etcdserverpb::TxnResponse&& resp);
  void onWaited(Status st, etcdserverpb::ResponseHeader&& header);
  void acquired(etcdserverpb::ResponseHeader&& header);

  // All fields: loop thread.
  const v3lockpb::LockRequest req_;
  Phase phase_ = Phase::Idle;
  std::string prefix_;
  std::string key_;
  std::shared_ptr<DeleteWaiter> waiter_;
};

class UnlockCall final : public UnaryCall<v3lockpb::UnlockResponse> {
 public:
  UnlockCall(Core& core, RequestContext ctx, const v3lockpb::UnlockRequest& req,
             Done<v3lockpb::UnlockResponse> done)
      : UnaryCall(core, std::move(ctx), std::move(done)), req_(req) {}

  void start() override;
  void abandon(Status why) override { fail(std::move(why)); }

 private:
  const v3lockpb::UnlockRequest req_;
};

}  // namespace cairn::concurrency
