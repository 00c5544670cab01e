// The v3electionpb.Election service's unary calls, etcd 3.4's semantics
// (v3election/election.go over clientv3/concurrency.Election). Observe, the
// stream, is in observe_call.h.
//
// Campaign: own `<name>/<lease hex>` with the proposal as its value (an
// existing key of the same lease keeps its place and gets the new value),
// wait until every key created before it is gone, answer the LeaderKey
// {name, key, create revision, lease} and the header of the campaign's first
// transaction. A campaign that ends waiting because its caller left resigns.
//
// Proclaim / Resign act on a LeaderKey only while the key is still the one
// created at LeaderKey.rev; a proclaim that finds it replaced or gone answers
// "election: not leader". etcd's Resign answers OK either way (its
// transaction's outcome is not checked), and so does this one.
//
// Leader: the key with the lowest create revision under `<name>/`, or
// "election: no leader".
#pragma once

#include <memory>
#include <string>

#include "core.h"
#include "delete_waiter.h"
#include "v3electionpb/v3election.pb.h"

namespace cairn::concurrency {

// etcd's ErrMissingLeaderKey for a Proclaim/Resign without `leader`.
Status missingLeaderKey();

class CampaignCall final : public UnaryCall<v3electionpb::CampaignResponse> {
 public:
  CampaignCall(Core& core, RequestContext ctx, const v3electionpb::CampaignRequest& req,
               Done<v3electionpb::CampaignResponse> done)
      : UnaryCall(core, std::move(ctx), std::move(done)), req_(req) {}

  void start() override;
  void abandon(Status why) override;

 private:
  enum class Phase { Idle, Session, Txn, Proclaim, Waiting };

  void onLease(Status st, int64_t lease);
  void onTxn(Status st, etcdserverpb::TxnResponse&& resp);
  void onProclaim(Status st, etcdserverpb::TxnResponse&& resp);
  void waitForEarlier();
  void onWaited(Status st);
  // Deletes the key if it is still the one this campaign created or joined.
  void resign();

  // All fields: loop thread.
  const v3electionpb::CampaignRequest req_;
  Phase phase_ = Phase::Idle;
  int64_t lease_ = 0;
  std::string key_;
  int64_t leaderRev_ = 0;
  etcdserverpb::ResponseHeader header_;  // the campaign transaction's
  std::shared_ptr<DeleteWaiter> waiter_;
};

class ProclaimCall final : public UnaryCall<v3electionpb::ProclaimResponse> {
 public:
  ProclaimCall(Core& core, RequestContext ctx, const v3electionpb::ProclaimRequest& req,
               Done<v3electionpb::ProclaimResponse> done)
      : UnaryCall(core, std::move(ctx), std::move(done)), req_(req) {}

  void start() override;
  void abandon(Status why) override { fail(std::move(why)); }

 private:
  const v3electionpb::ProclaimRequest req_;
};

class ResignCall final : public UnaryCall<v3electionpb::ResignResponse> {
 public:
  ResignCall(Core& core, RequestContext ctx, const v3electionpb::ResignRequest& req,
             Done<v3electionpb::ResignResponse> done)
      : UnaryCall(core, std::move(ctx), std::move(done)), req_(req) {}

  void start() override;
  void abandon(Status why) override { fail(std::move(why)); }

 private:
  const v3electionpb::ResignRequest req_;
};

class LeaderCall final : public UnaryCall<v3electionpb::LeaderResponse> {
 public:
  LeaderCall(Core& core, RequestContext ctx, const v3electionpb::LeaderRequest& req,
             Done<v3electionpb::LeaderResponse> done)
      : UnaryCall(core, std::move(ctx), std::move(done)), req_(req) {}

  void start() override;
  void abandon(Status why) override { fail(std::move(why)); }

 private:
  const v3electionpb::LeaderRequest req_;
};

}  // namespace cairn::concurrency
