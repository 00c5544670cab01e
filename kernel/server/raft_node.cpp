#include "raft_node.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <pthread.h>

#include "cairn/errors.h"
#include "fatal.h"
#include "member_ids.h"
#include "mvcc/big_endian.h"
#include "proposal_bytes.h"

namespace cairn::server {
namespace {

using Clock = std::chrono::steady_clock;
// The most request bytes one raft message of proposals carries.
constexpr std::size_t kProposalGroupBytes = 1 << 20;
// The largest proposal queue kept for reuse (a turn's proposals).
constexpr std::size_t kKeptProposals = 8192;
constexpr const char* kCaller = "server/raft_node.cpp";

// etcd's request id generator: the member id's low 16 bits, then the start
// time in milliseconds, then a counter, so ids differ across members and
// restarts.
uint64_t firstRequestId(uint64_t memberId) {
  const auto ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  return ((memberId & 0xffff) << 48) | ((ms & 0xffffffffffULL) << 8);
}

}  // namespace

RaftNode::RaftNode(const ServerOptions& options, Logger& logger, uint64_t memberId,
                   std::unique_ptr<raft::RawNode> node, raft::MemoryStorage& storage,
                   std::unique_ptr<wal::Wal> wal, std::unique_ptr<wal::Snapshotter> snapshotter,
                   WaitRegistry& waiters, StartupGate& startup, transport::Transport& transport,
                   Hooks hooks, bool singleMember)
    : options_(options),
      logger_(logger),
      memberId_(memberId),
      storage_(storage),
      waiters_(waiters),
      startup_(startup),
      transport_(transport),
      hooks_(std::move(hooks)),
      singleMember_(singleMember),
      node_(std::move(node)),
      wal_(std::move(wal)),
      snapshotter_(std::move(snapshotter)),
      nextRequestId_(firstRequestId(memberId)) {}

RaftNode::~RaftNode() {
  stop();
  closeWal();
}

Clock::time_point RaftNode::requestDeadline() const {
  // etcd's request timeout: 5 s plus two election timeouts.
  return Clock::now() + std::chrono::seconds(5) +
         std::chrono::milliseconds(2 * options_.electionTimeoutMs);
}

Status RaftNode::start() {
  transport::Transport::Feedback feedback;
  feedback.unreachable = [this](uint64_t peer) { reportUnreachable(peer); };
  feedback.snapshotStatus = [this](uint64_t peer, bool failed) { reportSnapshot(peer, failed); };
  feedback.removed = hooks_.removedByPeers;
  auto deliver = [this](raftpb::Message&& m) {
    if (hooks_.peerMessage && hooks_.peerMessage(m)) return;
    step(std::move(m));
  };
  if (Status st = transport_.start(std::move(deliver), std::move(feedback)); !st) {
    return st;
  }
  // Named so top -H, gdb and perf show which loop is which.
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-raft");
    loop();
  });
  return Status::ok();
}

void RaftNode::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  transport_.stop();
  // The loop has exited: what it held is ours to fail.
  const Status stopped(Error::Stopped);
  for (auto& [_, v] : inflightReads_) {
    for (auto& r : v.first) r(stopped);
  }
  inflightReads_.clear();
  std::vector<ReadGate::Read> reads;
  {
    std::lock_guard lk(mu_);
    reads.swap(pendingReads_);
  }
  for (auto& r : reads) r(stopped);
}

void RaftNode::closeWal() {
  std::lock_guard lk(walMu_);
  if (wal_) {
    wal_->close();
    wal_.reset();
  }
}

void RaftNode::propose(etcdserverpb::InternalRaftRequest req, ApplyDone done) {
  const uint64_t id = nextRequestId_.fetch_add(1);
  req.mutable_header()->set_id(id);
  queueProposal(id, req.SerializeAsString(), std::move(done));
}

void RaftNode::propose(etcdserverpb::InternalRaftRequest req, int fieldNumber,
                       const google::protobuf::MessageLite& request, ApplyDone done) {
  const uint64_t id = nextRequestId_.fetch_add(1);
  req.mutable_header()->set_id(id);
  queueProposal(id, serializeWithField(req, fieldNumber, request), std::move(done));
}

void RaftNode::queueProposal(uint64_t id, std::string&& data, ApplyDone done) {
  if (data.size() > options_.maxRequestBytes) {
    done(ApplyResult{Status(Error::RequestTooLarge), nullptr});
    return;
  }
  {
    // Checked under mu_, which stop() holds to set stop_: a proposal is
    // either queued before the raft loop exits (and its waiter failed by the
    // server's stop()), or refused here; none is left unanswered.
    std::unique_lock lk(mu_);
    if (stop_) {
      lk.unlock();
      done(ApplyResult{Status(Error::Stopped), nullptr});
      return;
    }
    waiters_.add(id, std::move(done), requestDeadline());
    pendingProposals_.emplace_back(id, std::move(data));
  }
  cv_.notify_one();
}

void RaftNode::transferLeadership(uint64_t transferee) {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    pendingTransfers_.push_back(transferee);
  }
  cv_.notify_one();
}

void RaftNode::proposeConfChange(raftpb::ConfChange cc, ApplyDone done) {
  const uint64_t id = nextRequestId_.fetch_add(1);
  cc.set_id(id);
  {
    std::unique_lock lk(mu_);  // as in propose()
    if (stop_) {
      lk.unlock();
      done(ApplyResult{Status(Error::Stopped), nullptr});
      return;
    }
    waiters_.add(id, std::move(done), requestDeadline());
    pendingConfProposals_.push_back(std::move(cc));
  }
  cv_.notify_one();
}

std::map<uint64_t, uint64_t> RaftNode::leaderMatches() const {
  std::lock_guard lk(matchMu_);
  return leaderMatches_;
}

void RaftNode::readIndex(ReadGate::Read read) {
  {
    std::unique_lock lk(mu_);  // as in propose(): stop() answers what is queued
    if (stop_) {
      lk.unlock();
      read(Status(Error::Stopped));
      return;
    }
    pendingReads_.push_back(std::move(read));
  }
  cv_.notify_one();
}

void RaftNode::step(raftpb::Message&& message) {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    pendingMessages_.push_back(std::move(message));
  }
  cv_.notify_one();
}

void RaftNode::sendPeerMessage(raftpb::Message&& message) {
  message.set_from(memberId_);
  std::vector<raftpb::Message> one;
  one.push_back(std::move(message));
  transport_.send(std::move(one));
}

void RaftNode::reportUnreachable(uint64_t peer) {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    pendingReports_.emplace_back(peer, 0);
  }
  cv_.notify_one();
}

void RaftNode::reportSnapshot(uint64_t peer, bool failed) {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    pendingReports_.emplace_back(peer, failed ? 2 : 1);
  }
  cv_.notify_one();
}

std::optional<raftpb::ConfState> RaftNode::applyConfChange(const raftpb::ConfChange& cc) {
  auto req = std::make_shared<ConfChangeRequest>();
  req->cc = cc;
  auto fut = req->result.get_future();
  {
    std::lock_guard lk(mu_);
    if (stop_) return std::nullopt;
    pendingConfChanges_.push_back(req);
  }
  cv_.notify_one();
  // The raft loop answers on its next turn; while stopping it may not.
  while (fut.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    std::lock_guard lk(mu_);
    if (stop_) return std::nullopt;
  }
  return fut.get();
}

Status RaftNode::saveSnapshot(const raftpb::Snapshot& snap) {
  std::lock_guard lk(walMu_);
  if (Status st = snapshotter_->save(snap); !st) return st;
  const uint64_t index = snap.metadata().index();
  if (Status st = wal_->saveSnapshot({index, snap.metadata().term()}); !st) {
    fatal(logger_, kCaller, "failed to mark snapshot in wal", jsonField("error", st.message()));
  }
  if (Status st = wal_->releaseTo(index); !st) {
    logger_.warn(kCaller, "cannot release old wal segments", jsonField("error", st.message()));
  }
  return Status::ok();
}

Status RaftNode::purgeSnapshots(uint32_t keep) {
  std::lock_guard lk(walMu_);
  return snapshotter_->purge(keep);
}

void RaftNode::loop() {
  const auto tickInterval = std::chrono::milliseconds(options_.heartbeatIntervalMs);
  auto nextTick = Clock::now() + tickInterval;
  bool campaigned = false;

  for (;;) {
    Proposals proposals;
    std::vector<raftpb::ConfChange> confProposals;
    std::vector<ReadGate::Read> reads;
    std::vector<std::shared_ptr<ConfChangeRequest>> confChanges;
    std::vector<raftpb::Message> messages;
    std::vector<std::pair<uint64_t, int>> reports;
    std::vector<uint64_t> transfers;
    {
      std::unique_lock lk(mu_);
      cv_.wait_until(lk, nextTick, [this] {
        return stop_ || !pendingProposals_.empty() || !pendingConfProposals_.empty() ||
               !pendingReads_.empty() || !pendingConfChanges_.empty() ||
               !pendingMessages_.empty() || !pendingReports_.empty() || !pendingTransfers_.empty();
      });
      if (stop_) break;
      proposals.swap(pendingProposals_);
      pendingProposals_.swap(spareProposals_);
      confProposals.swap(pendingConfProposals_);
      reads.swap(pendingReads_);
      confChanges.swap(pendingConfChanges_);
      messages.swap(pendingMessages_);
      reports.swap(pendingReports_);
      transfers.swap(pendingTransfers_);
    }

    for (auto& req : confChanges) req->result.set_value(node_->applyConfChange(req->cc));
    for (const auto& [peer, kind] : reports) {
      if (kind == 0) {
        node_->reportUnreachable(peer);
      } else {
        node_->reportSnapshot(peer, kind == 2);
      }
    }
    for (uint64_t transferee : transfers) node_->transferLeader(transferee);
    for (const auto& m : messages) {
      if (Status st = node_->step(m); !st) {
        logger_.warn(kCaller, "dropped a raft message", jsonField("error", st.message()));
      }
    }

    // The followers' progress as the leader sees it, for MemberPromote's
    // readiness check; published every turn (not only at ticks), so a
    // member elected a moment ago already answers as the leader.
    {
      std::map<uint64_t, uint64_t> matches;
      if (node_->state() == raft::StateType::Leader) {
        for (const auto& [id, pr] : node_->status().progress) matches[id] = pr.match;
      }
      std::lock_guard lk(matchMu_);
      leaderMatches_ = std::move(matches);
    }

    const auto now = Clock::now();
    if (now >= nextTick) {
      node_->tick();
      nextTick += tickInterval;
      if (nextTick < now) nextTick = now + tickInterval;
      // Expire requests raft never committed (e.g. lost leadership).
      waiters_.expire(now, Status(Error::Timeout));
      for (auto it = inflightReads_.begin(); it != inflightReads_.end();) {
        if (it->second.second <= now) {
          for (auto& r : it->second.first) r(Status(Error::Timeout));
          it = inflightReads_.erase(it);
        } else {
          ++it;
        }
      }
    }

    // A member that is the only voter need not wait an election timeout.
    if (singleMember_ && !campaigned && node_->lead() == raft::kNone) {
      auto st = node_->status();
      if (st.confState.voters_size() == 1 && st.confState.voters(0) == memberId_) {
        campaigned = node_->campaign().isOk();
      }
    }

    // The queued proposals go to raft a group at a time, one message per
    // group: one step, one append and one broadcast for the group instead
    // of for each. A group stays under kProposalGroupBytes (unless one
    // request alone is bigger), so a follower forwarding it to the leader
    // sends no message far beyond one request's size limit.
    for (std::size_t at = 0; at < proposals.size();) {
      std::size_t end = at;
      std::size_t bytes = 0;
      std::vector<std::string> group;
      while (end < proposals.size() &&
             (end == at || bytes + proposals[end].second.size() <= kProposalGroupBytes)) {
        bytes += proposals[end].second.size();
        group.push_back(std::move(proposals[end].second));
        ++end;
      }
      if (Status st = node_->proposeAll(std::move(group)); !st) {
        const Status why = node_->lead() == raft::kNone
                               ? Status(Error::NoLeader)
                               : Status(StatusCode::Unavailable, st.message());
        for (std::size_t i = at; i < end; ++i) waiters_.fail(proposals[i].first, why);
      }
      at = end;
    }
    proposals.clear();  // their data moved to raft
    // Kept up to a large turn's size: one burst does not pin its vector.
    if (proposals.capacity() <= kKeptProposals) spareProposals_.swap(proposals);
    for (auto& cc : confProposals) {
      const uint64_t id = cc.id();
      if (Status st = node_->proposeConfChange(cc); !st) {
        waiters_.fail(id, node_->lead() == raft::kNone
                              ? Status(Error::NoLeader)
                              : Status(StatusCode::Unavailable, st.message()));
      }
    }
    if (!reads.empty()) {
      // One ReadIndex round confirms every read queued since the last one.
      // The context names this member too: the leader keys pending rounds by
      // it, and a follower's round must not collide with the leader's own.
      std::string ctx = mvcc::uint64ToBytes(memberId_) + mvcc::uint64ToBytes(++readSeq_);
      node_->readIndex(ctx);
      inflightReads_.emplace(ctx, std::make_pair(std::move(reads), requestDeadline()));
    }
    while (node_->hasReady()) handleReady();
  }
}

void RaftNode::handleReady() {
  raft::Ready rd = node_->ready();
  if (rd.softState) {
    const uint64_t leader = rd.softState->lead;
    const uint64_t previous = lead_.exchange(leader);
    if (previous != leader) {
      if (leader != raft::kNone) {
        logger_.info("raft/raft.go", leader == memberId_ ? "became leader" : "leader changed",
                     jsonField("local-member-id", idToHex(memberId_)) + "," +
                         jsonField("leader", idToHex(leader)));
      }
      term_ = node_->term();
      if (hooks_.leaderChanged) hooks_.leaderChanged(previous, leader, node_->term());
      if (leader != raft::kNone && previous != raft::kNone) {
        // A round confirmed by the old leader may never be answered; as
        // etcd's read loop does, its reads fail now rather than at the
        // request timeout.
        for (auto& [_, v] : inflightReads_) {
          for (auto& r : v.first) r(Status(Error::LeaderChanged));
        }
        inflightReads_.clear();
      }
    }
  }
  for (auto& rs : rd.readStates) {
    auto it = inflightReads_.find(rs.requestCtx);
    if (it == inflightReads_.end()) continue;
    hooks_.readsConfirmed(rs.index, std::move(it->second.first));
    inflightReads_.erase(it);
  }
  {
    std::lock_guard lk(walMu_);
    if (rd.hasSnapshot) {
      if (Status st = snapshotter_->save(rd.snapshot); !st) {
        fatal(logger_, kCaller, "failed to save incoming snapshot",
              jsonField("error", st.message()));
      }
      wal::WalSnapshot mark{rd.snapshot.metadata().index(), rd.snapshot.metadata().term()};
      if (Status st = wal_->saveSnapshot(mark); !st) {
        fatal(logger_, kCaller, "failed to mark snapshot in wal", jsonField("error", st.message()));
      }
    }
    if (rd.hardStateChanged || !rd.entries.empty()) {
      // Durability is not negotiable: a WAL that cannot be written means the
      // member must stop rather than acknowledge anything.
      const auto began = std::chrono::steady_clock::now();
      if (Status st = wal_->save(rd.hardState, rd.entries, rd.mustSync); !st) {
        fatal(logger_, kCaller, "failed to write to the write-ahead log",
              jsonField("error", st.message()));
      }
      if (rd.mustSync && hooks_.walSynced) {
        hooks_.walSynced(std::chrono::steady_clock::now() - began);
      }
    }
  }
  if (rd.hasSnapshot) storage_.applySnapshot(rd.snapshot);
  if (rd.hardStateChanged) {
    storage_.setHardState(rd.hardState);
    committed_ = rd.hardState.commit();
  }
  term_ = node_->term();
  if (startup_.needsIndex() && node_->lead() == memberId_) {
    // Everything committed when we became leader (including the leader's own
    // empty entry) must be applied before serving. Set before the entries
    // reach the apply loop, which then reports readiness.
    startup_.leaderAt(node_->status().lastIndex);
  }
  // Persisted first, then sent (raft's rule); a single member sends nothing.
  if (!rd.messages.empty()) transport_.send(std::move(rd.messages));
  if (rd.hasSnapshot && hooks_.snapshot) {
    logger_.info(
        "etcdserver/raft.go", "applied incoming Raft snapshot",
        jsonField("snapshot-index", static_cast<long long>(rd.snapshot.metadata().index())));
    hooks_.snapshot(rd.snapshot);
  }
  // advance() reads the new and the committed entries (stable and applied
  // index, uncommitted size), so they move, to the log's storage and to the
  // apply loop, after it. Nothing reads the log in between: raft's state is
  // this thread's.
  node_->advance(rd);
  if (!rd.entries.empty()) storage_.append(std::move(rd.entries));
  if (!rd.committedEntries.empty()) hooks_.committed(std::move(rd.committedEntries));
}

}  // namespace cairn::server
