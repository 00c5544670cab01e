#include "election_calls.h"

#include <utility>

#include "recipe.h"

namespace cairn::concurrency {

Status missingLeaderKey() {
  // A plain Go error in etcd (v3election.ErrMissingLeaderKey), hence UNKNOWN.
  return Status(StatusCode::Unknown, "\"leader\" field must be provided");
}

// ------------------------------------------------------------------ Campaign

void CampaignCall::start() {
  phase_ = Phase::Session;
  withSessionLease(req_.lease(),
                   [this](Status st, int64_t lease) { onLease(std::move(st), lease); });
}

void CampaignCall::onLease(Status st, int64_t lease) {
  if (finished()) return;
  if (!st) {
    fail(asClientError(st));
    return;
  }
  lease_ = lease;
  key_ = ownerKey(keyPrefix(req_.name()), lease);
  phase_ = Phase::Txn;
  core_.host().kv().txn(ctx_, campaignTxn(key_, req_.value(), lease_),
                        core_.resume<etcdserverpb::TxnResponse>(
                            shared_from_this(), [this](Status st, etcdserverpb::TxnResponse&& r) {
                              onTxn(std::move(st), std::move(r));
                            }));
}

void CampaignCall::onTxn(Status st, etcdserverpb::TxnResponse&& resp) {
  if (finished()) {
    // The caller left while the transaction was in flight: withdraw a
    // candidacy it created, so it does not lead (or queue) for nobody.
    if (st && resp.succeeded()) {
      leaderRev_ = resp.header().revision();
      resign();
    }
    return;
  }
  if (!st) {
    fail(asClientError(st));
    return;
  }
  header_ = resp.header();
  leaderRev_ = resp.header().revision();
  if (!resp.succeeded()) {
    if (resp.responses_size() != 1 || resp.responses(0).response_range().kvs_size() == 0) {
      fail(Status(StatusCode::Internal, "concurrency: campaign key vanished inside a transaction"));
      return;
    }
    const auto& own = resp.responses(0).response_range();
    leaderRev_ = own.kvs(0).create_revision();
    if (own.kvs(0).value() != req_.value()) {
      // Same lease, new proposal: keep the place in line, update the value.
      phase_ = Phase::Proclaim;
      core_.host().kv().txn(
          ctx_, proclaimTxn(key_, leaderRev_, req_.value(), lease_),
          core_.resume<etcdserverpb::TxnResponse>(shared_from_this(),
                                                  [this](Status st, etcdserverpb::TxnResponse&& r) {
                                                    onProclaim(std::move(st), std::move(r));
                                                  }));
      return;
    }
  }
  waitForEarlier();
}

void CampaignCall::onProclaim(Status st, etcdserverpb::TxnResponse&& resp) {
  if (finished()) return;  // the key predates this call: nothing of ours to undo
  if (!st) {
    resign();
    fail(asClientError(st));
    return;
  }
  if (!resp.succeeded()) {
    // The key was replaced between the two transactions. etcd then resigns
    // with an emptied key, which fails validation and changes nothing.
    fail(Status(Error::ElectionNotLeader));
    return;
  }
  waitForEarlier();
}

void CampaignCall::waitForEarlier() {
  phase_ = Phase::Waiting;
  waiter_ = std::make_shared<DeleteWaiter>(
      core_, ctx_, keyPrefix(req_.name()), leaderRev_ - 1,
      [this](Status st, etcdserverpb::ResponseHeader&&) { onWaited(std::move(st)); });
  waiter_->start();
}

void CampaignCall::onWaited(Status st) {
  waiter_.reset();
  if (!st) {
    fail(std::move(st));  // not the caller's doing: etcd keeps the key
    return;
  }
  v3electionpb::CampaignResponse out;
  *out.mutable_header() = header_;
  auto* leader = out.mutable_leader();
  leader->set_name(req_.name());
  leader->set_key(key_);
  leader->set_rev(leaderRev_);
  leader->set_lease(lease_);
  finish(Status::ok(), std::move(out));
}

void CampaignCall::resign() {
  core_.host().kv().txn(detached(ctx_), resignTxn(key_, leaderRev_),
                        core_.ignore<etcdserverpb::TxnResponse>());
}

void CampaignCall::abandon(Status why) {
  if (phase_ == Phase::Waiting && waiter_) {
    waiter_->cancel();
    waiter_.reset();
    resign();
  }
  fail(std::move(why));
}

// ------------------------------------------------------------------ Proclaim

void ProclaimCall::start() {
  if (!req_.has_leader()) {
    fail(missingLeaderKey());
    return;
  }
  withSessionLease(req_.leader().lease(), [this](Status st, int64_t lease) {
    if (finished()) return;
    if (!st) {
      fail(asClientError(st));
      return;
    }
    const auto& leader = req_.leader();
    core_.host().kv().txn(
        ctx_, proclaimTxn(leader.key(), leader.rev(), req_.value(), lease),
        core_.resume<etcdserverpb::TxnResponse>(
            shared_from_this(), [this](Status st, etcdserverpb::TxnResponse&& resp) {
              if (!st) {
                fail(asClientError(st));
                return;
              }
              if (!resp.succeeded()) {
                fail(Status(Error::ElectionNotLeader));
                return;
              }
              v3electionpb::ProclaimResponse out;
              *out.mutable_header() = std::move(*resp.mutable_header());
              finish(Status::ok(), std::move(out));
            }));
  });
}

// ------------------------------------------------------------------ Resign

void ResignCall::start() {
  if (!req_.has_leader()) {
    fail(missingLeaderKey());
    return;
  }
  // The session (a fresh lease for lease 0) is opened as etcd does, though
  // a resign never uses its lease.
  withSessionLease(req_.leader().lease(), [this](Status st, int64_t) {
    if (finished()) return;
    if (!st) {
      fail(asClientError(st));
      return;
    }
    const auto& leader = req_.leader();
    core_.host().kv().txn(
        ctx_, resignTxn(leader.key(), leader.rev()),
        core_.resume<etcdserverpb::TxnResponse>(
            shared_from_this(), [this](Status st, etcdserverpb::TxnResponse&& resp) {
              if (!st) {
                fail(asClientError(st));
                return;
              }
              v3electionpb::ResignResponse out;
              *out.mutable_header() = std::move(*resp.mutable_header());
              finish(Status::ok(), std::move(out));
            }));
  });
}

// ------------------------------------------------------------------ Leader

void LeaderCall::start() {
  core_.host().kv().range(
      ctx_, firstCreated(keyPrefix(req_.name())),
      core_.resume<etcdserverpb::RangeResponse>(
          shared_from_this(), [this](Status st, etcdserverpb::RangeResponse&& resp) {
            if (!st) {
              fail(asClientError(st));
              return;
            }
            if (resp.kvs_size() == 0) {
              fail(Status(Error::ElectionNoLeader));
              return;
            }
            v3electionpb::LeaderResponse out;
            *out.mutable_header() = std::move(*resp.mutable_header());
            *out.mutable_kv() = std::move(*resp.mutable_kvs(0));
            finish(Status::ok(), std::move(out));
          }));
}

}  // namespace cairn::concurrency
