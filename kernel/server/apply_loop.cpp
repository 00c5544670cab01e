#include "apply_loop.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <set>

#include "apply_request.h"
#include "cairn/errors.h"
#include "conf_change_check.h"
#include "fatal.h"
#include "member_ids.h"
#include "mvcc/write_txn.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/apply_loop.cpp";
// The largest answer vector handed back for reuse (a batch's answers).
constexpr std::size_t kKeptReplies = 4096;
// How many emptied answer vectors wait for the next batches.
constexpr std::size_t kSpareReplies = 4;

google::protobuf::ArenaOptions arenaOptions(char* block) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = ApplyLoop::kArenaBlockBytes;
  return options;
}

}  // namespace

ApplyLoop::ApplyLoop(Parts parts, uint64_t appliedIndex, raftpb::ConfState confState)
    : p_(parts),
      arenaBlock_(std::make_unique<char[]>(kArenaBlockBytes)),
      arena_(arenaOptions(arenaBlock_.get())),
      confState_(confState),
      membership_(std::move(confState)),
      appliedIndex_(appliedIndex) {
  p_.cluster.setConfState(confState_);
}

void ApplyLoop::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-apply");
    loop();
  });
}

void ApplyLoop::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ApplyLoop::enqueue(std::vector<raftpb::Entry>&& entries) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(Work{std::nullopt, std::move(entries)});
  }
  cv_.notify_one();
}

void ApplyLoop::enqueueSnapshot(const raftpb::Snapshot& snap) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(Work{snap, {}});
  }
  cv_.notify_one();
}

void ApplyLoop::loop() {
  for (;;) {
    Work work;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    if (work.snapshot) applySnapshot(*work.snapshot);
    for (const auto& e : work.entries) {
      if (e.index() <= appliedIndex_) continue;
      applyEntry(e);
      appliedIndex_ = e.index();
    }
    commitGroup();
    // Every write of the batch is in the backend now (grouped or not): the
    // quota's sample may count them from here on.
    if (p_.quotaBytes != nullptr) p_.quotaBytes->committed();
    flushReplies();
    // The batch's decoded requests: nothing refers to them any more (the
    // answers and events are messages of their own).
    arena_.Reset();
    const uint64_t applied = appliedIndex_;
    p_.metrics.applied->set(static_cast<double>(applied));
    p_.reads.onApplied(applied);
    p_.startup.onApplied(applied);
    p_.snapshots.maybeSnapshot(applied, confState_);
  }
}

void ApplyLoop::applySnapshot(const raftpb::Snapshot& snap) {
  const uint64_t index = snap.metadata().index();
  if (p_.installer == nullptr || index <= appliedIndex_) {
    // Raft hands over only snapshots past its commit index, hence past
    // everything applied: anything else is a bug (etcd panics the same).
    fatal(p_.logger, "etcdserver/server.go", "unexpected leader snapshot from outdated index",
          jsonField("current-applied-index", static_cast<long long>(appliedIndex_.load())) + "," +
              jsonField("incoming-leader-snapshot-index", static_cast<long long>(index)));
  }
  // This member's own snapshot, if one is being taken, finishes first.
  p_.snapshots.waitIdle();
  if (Status st = p_.installer->install(snap, p_.snapshots.snapshotIndex(), appliedIndex_); !st) {
    fatal(p_.logger, "etcdserver/server.go", "failed to apply snapshot",
          jsonField("error", st.message()));
  }
  // Membership as of the snapshot; the conf changes after it (some of which
  // the state may already hold) are applied to raft again from the log, as
  // after a restart.
  std::set<uint64_t> before(confState_.voters().begin(), confState_.voters().end());
  before.insert(confState_.learners().begin(), confState_.learners().end());
  confState_ = snap.metadata().conf_state();
  membership_ = confState_;
  p_.cluster.setConfState(confState_);
  if (p_.memberChanged) {
    std::set<uint64_t> after(confState_.voters().begin(), confState_.voters().end());
    after.insert(confState_.learners().begin(), confState_.learners().end());
    for (uint64_t id : after) {
      if (auto member = p_.members.find(id)) {
        p_.memberChanged(id, {member->peerurls().begin(), member->peerurls().end()});
      }
    }
    for (uint64_t id : before) {
      if (after.count(id) == 0 && id != p_.cluster.memberId()) p_.memberChanged(id, {});
    }
  }
  appliedIndex_ = index;
  p_.snapshots.installed(index);
}

void ApplyLoop::applyEntry(const raftpb::Entry& entry) {
  switch (entry.type()) {
    case raftpb::ENTRY_NORMAL:
      applyNormal(entry);
      break;
    case raftpb::ENTRY_CONF_CHANGE:
      commitGroup();
      applyConfChange(entry);
      break;
    default:
      p_.logger.error(kCaller, "skipping entry of unknown type",
                      jsonField("index", static_cast<long long>(entry.index())));
      p_.store.setConsistentIndex(entry.index());
  }
}

void ApplyLoop::applyNormal(const raftpb::Entry& entry) {
  const bool alreadyApplied = entry.index() <= p_.store.consistentIndex();
  if (entry.data().empty() || alreadyApplied) {
    // The leader's empty entry at the start of its term, or an entry the
    // backend held before a restart.
    if (!alreadyApplied) {
      p_.store.setConsistentIndex(entry.index());
      // Everything of earlier terms is applied: the new leader's lessor
      // becomes primary.
      if (entry.data().empty() && p_.raft.isLeader()) {
        p_.leases.promote(std::chrono::milliseconds(p_.options.electionTimeoutMs));
      }
    }
    return;
  }
  // On the batch's arena: the request's messages and strings cost no
  // allocation of their own, and are freed together after the batch.
  auto& req = *google::protobuf::Arena::CreateMessage<etcdserverpb::InternalRaftRequest>(&arena_);
  if (!req.ParseFromString(entry.data())) {
    p_.logger.error(kCaller, "cannot parse a committed request; skipping it",
                    jsonField("index", static_cast<long long>(entry.index())));
    p_.store.setConsistentIndex(entry.index());
    return;
  }
  DecodedRequest decoded = decodeRequest(req, p_.registry);
  if (groupable(decoded.field)) {
    if (!p_.store.grouping()) p_.store.beginGroup();
  } else {
    commitGroup();
  }
  ApplyOutcome outcome;
  p_.chain.apply(ApplyRequest{req, entry.index(), decoded.field, decoded.request}, &outcome);
  if (!outcome.events.empty()) publish(std::move(outcome.events));
  // A request that wrote nothing (failed, or deleted nothing) still consumes
  // its index; a no-op when the applier already stored it.
  if (Status st = p_.store.setConsistentIndex(entry.index()); !st) {
    fatal(p_.logger, kCaller, "cannot persist consistent index", jsonField("error", st.message()));
  }
  reply(req.header().id(), std::move(outcome));
}

bool ApplyLoop::groupable(const google::protobuf::FieldDescriptor* field) {
  if (field == nullptr) return false;
  switch (field->number()) {
    case etcdserverpb::InternalRaftRequest::kPutFieldNumber:
    case etcdserverpb::InternalRaftRequest::kDeleteRangeFieldNumber:
    case etcdserverpb::InternalRaftRequest::kTxnFieldNumber:
      return true;
    default:
      return false;
  }
}

void ApplyLoop::publish(std::vector<mvccpb::Event>&& events) {
  // Lease attachments move at once: a later entry of the group (a revoke)
  // needs them.
  p_.leases.followEvents(events);
  if (p_.store.grouping()) {
    unpublished_.push_back(std::move(events));
    return;
  }
  deliver(std::move(events));
}

void ApplyLoop::deliver(std::vector<mvccpb::Event>&& events) {
  const int64_t revision = events.front().kv().mod_revision();
  p_.events.publishApplied(revision, events);
  p_.watchHub.notify(revision, std::move(events));
}

void ApplyLoop::commitGroup() {
  if (!p_.store.grouping()) return;
  if (Status st = p_.store.commitGroup(); !st) {
    // The answers of the group's entries have not left; the raft log holds
    // the entries, and a restart applies them again.
    fatal(p_.logger, kCaller, "cannot commit applied entries to the backend",
          jsonField("error", st.message()));
  }
  for (auto& events : unpublished_) deliver(std::move(events));
  unpublished_.clear();
}

void ApplyLoop::reply(uint64_t requestId, ApplyOutcome&& outcome) {
  ApplyResult& result = outcome.result;
  if (outcome.header != nullptr) {
    // The applier sets the revision; the member fills in who answered.
    outcome.header->set_cluster_id(p_.cluster.clusterId());
    outcome.header->set_member_id(p_.cluster.memberId());
    outcome.header->set_raft_term(p_.raft.term());
  } else if (result.response) {
    // A response whose applier did not say where its header is (plugins'
    // commands, alarms): found by reflection.
    google::protobuf::Message* msg = result.response.get();
    // Descriptor lookups are virtual calls through protobuf's lazy
    // registration (about 90 instructions each): one per answer.
    const google::protobuf::Descriptor* type = msg->GetDescriptor();
    if (type != headerOf_.type) {
      // One entry of cache: a batch's answers are mostly of one type.
      static const google::protobuf::Descriptor* const kHeader =
          etcdserverpb::ResponseHeader::descriptor();
      const google::protobuf::FieldDescriptor* f = type->FindFieldByName("header");
      headerOf_ = {type, f != nullptr && f->message_type() == kHeader ? f : nullptr};
    }
    if (const google::protobuf::FieldDescriptor* field = headerOf_.field; field != nullptr) {
      auto* h = static_cast<etcdserverpb::ResponseHeader*>(
          msg->GetReflection()->MutableMessage(msg, field));
      h->set_cluster_id(p_.cluster.clusterId());
      h->set_member_id(p_.cluster.memberId());
      h->set_raft_term(p_.raft.term());
    }
  }
  // Entries proposed elsewhere (or before a restart) have no waiter.
  ApplyDone done = p_.waiters.take(requestId);
  if (result.status.is(Error::NoSpace) && p_.quota != nullptr) {
    // As etcd's applyEntryNormal: every member that applied an entry past
    // the quota raises NOSPACE (once), and answers when the alarm applied.
    auto held =
        std::make_shared<std::pair<ApplyDone, ApplyResult>>(std::move(done), std::move(result));
    std::function<void()> answer = [held] {
      if (held->first) held->first(std::move(held->second));
    };
    if (p_.quota->raiseAfterApply(answer)) return;
    done = std::move(held->first);
    result = std::move(held->second);
  }
  if (!done) return;
  if (outcome.awaitPhysicalCompaction) {
    p_.compactor.waitPhysical(std::move(done), std::move(result));
    return;
  }
  replies_.emplace_back(std::move(done), std::move(result));
}

void ApplyLoop::flushReplies() {
  if (replies_.empty()) return;
  lastRepliesSize_ = replies_.size();
  boost::asio::post(p_.replies, [batch = std::move(replies_), spare = spareReplies_]() mutable {
    for (auto& [done, result] : batch) done(std::move(result));
    batch.clear();
    // Kept up to a large batch's size: one burst does not pin its vector.
    if (batch.capacity() > kKeptReplies) return;
    std::lock_guard lk(spare->mu);
    if (spare->vectors.size() < kSpareReplies) spare->vectors.push_back(std::move(batch));
  });
  {
    std::lock_guard lk(spareReplies_->mu);
    if (!spareReplies_->vectors.empty()) {
      replies_ = std::move(spareReplies_->vectors.back());
      spareReplies_->vectors.pop_back();
    }
  }
  replies_.clear();  // a moved-from vector: make sure it is empty
  replies_.reserve(std::min(lastRepliesSize_, kKeptReplies));
}

void ApplyLoop::applyConfChange(const raftpb::Entry& entry) {
  raftpb::ConfChange cc;
  if (!cc.ParseFromString(entry.data())) {
    p_.logger.error(kCaller, "cannot parse a committed conf change; skipping it",
                    jsonField("index", static_cast<long long>(entry.index())));
    if (entry.index() > p_.store.consistentIndex()) p_.store.setConsistentIndex(entry.index());
    return;
  }
  const bool fresh = entry.index() > p_.store.consistentIndex();
  // A replayed entry (the backend already holds it) is refused again only if
  // it was refused the first time; a fresh one is checked now.
  Status verdict = Status::ok();
  if (!fresh) {
    if (p_.members.wasRefused(entry.index())) verdict = Status(Error::MemberNotFound);
  } else {
    verdict = checkConfChange(cc, membership_, p_.members);
  }
  std::unique_ptr<mvcc::WriteTxn> txn = p_.store.write();
  if (!verdict) {
    if (fresh) p_.members.markRefused(entry.index(), &txn->batch());
  } else {
    applyToConf(cc, &membership_);
    std::optional<raftpb::ConfState> cs = p_.raft.applyConfChange(cc);
    if (!cs) return;  // stopping: the entry is applied again after the restart
    confState_ = std::move(*cs);
    p_.cluster.setConfState(confState_);
    recordMemberChange(cc, &txn->batch());
  }
  // The member records change in the entry's own batch. A conf change the
  // backend already holds (replayed after a restart) writes the same record
  // again: raft's configuration is rebuilt from the log either way.
  if (Status st = txn->end(entry.index()); !st) {
    fatal(p_.logger, kCaller, "cannot persist a membership change",
          jsonField("error", st.message()));
  }
  if (verdict && fresh) {
    p_.logger.info("membership/cluster.go",
                   cc.type() == raftpb::CONF_CHANGE_REMOVE_NODE   ? "removed member"
                   : isPromotion(cc)                              ? "promote member"
                   : cc.type() == raftpb::CONF_CHANGE_UPDATE_NODE ? "updated member"
                                                                  : "added member",
                   jsonField("cluster-id", idToHex(p_.cluster.clusterId())) + "," +
                       jsonField("member-id", idToHex(cc.node_id())));
  }
  if (ApplyDone done = p_.waiters.take(cc.id())) {
    replies_.emplace_back(std::move(done), ApplyResult{verdict, nullptr});
  }
  if (verdict && cc.type() == raftpb::CONF_CHANGE_REMOVE_NODE &&
      cc.node_id() == p_.cluster.memberId() && p_.removedSelf) {
    flushReplies();  // the removal's own answer leaves before the member stops
    p_.removedSelf();
  }
}

void ApplyLoop::recordMemberChange(const raftpb::ConfChange& cc, storage::WriteBatch* batch) {
  if (isPromotion(cc)) {
    if (auto known = p_.members.find(cc.node_id())) {
      known->set_islearner(false);
      p_.members.add(*known, batch);
    }
    return;
  }
  etcdserverpb::Member member;
  const bool described =
      !cc.context().empty() && member.ParseFromString(cc.context()) && member.id() == cc.node_id();
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_NODE:
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE:
    case raftpb::CONF_CHANGE_UPDATE_NODE:
      if (!described) break;
      if (cc.type() == raftpb::CONF_CHANGE_UPDATE_NODE) {
        const auto known = p_.members.find(member.id());
        member.set_islearner(known && known->islearner());
      } else {
        member.set_islearner(cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE);
      }
      p_.members.add(member, batch);
      if (p_.memberChanged) {
        p_.memberChanged(member.id(), {member.peerurls().begin(), member.peerurls().end()});
      }
      break;
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      p_.members.remove(cc.node_id(), batch);
      p_.members.markRemoved(cc.node_id(), batch);
      if (p_.memberChanged) p_.memberChanged(cc.node_id(), {});
      break;
    default:
      break;
  }
}

}  // namespace cairn::server
