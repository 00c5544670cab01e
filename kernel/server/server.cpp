#include "server.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <set>

#include "json_logger.h"
#include "lease/min_lease_ttl.h"
#include "lease_driver.h"
#include "member_ids.h"
#include "mvcc/big_endian.h"
#include "cairn/errors.h"

namespace cairn::server {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kCaller = "server/server.cpp";
// Entries kept in the raft log behind a snapshot so a slightly lagging
// follower catches up by entries rather than by a full snapshot.
constexpr uint64_t kSnapshotCatchUpEntries = 5000;
// Keys of history one watch catch-up round reads at most, so one far-behind
// watcher cannot hold the watch thread (and the others) for long.
constexpr std::size_t kWatchSyncHistoryKeys = 10000;
// etcd's watch sync cadence: every 100 ms, or 10 ms while watchers lag.
constexpr auto kWatchSyncInterval = std::chrono::milliseconds(100);
constexpr auto kWatchSyncBusyInterval = std::chrono::milliseconds(10);
// Live keys read per page when re-attaching keys to leases at startup.
constexpr int64_t kLeaseRecoveryPage = 1000;

}  // namespace

Server::Server(ServerOptions options, std::unique_ptr<storage::Backend> backend, Logger& logger)
    : options_(std::move(options)), logger_(logger), backend_(std::move(backend)) {
  memberDir_ = options_.dataDir + "/member";
  walDir_ = options_.walDir.empty() ? memberDir_ + "/wal" : options_.walDir;
  snapDir_ = memberDir_ + "/snap";
}

Server::~Server() {
  stop();
}

Clock::time_point Server::requestDeadline() const {
  // etcd's request timeout: 5 s plus two election timeouts.
  return Clock::now() + std::chrono::seconds(5) +
         std::chrono::milliseconds(2 * options_.electionTimeoutMs);
}

Status Server::validateInitialCluster() const {
  std::vector<std::string> mine;
  std::set<std::string> names;
  for (const auto& [name, url] : options_.initialCluster) {
    names.insert(name);
    if (name == options_.name) mine.push_back(url);
  }
  if (mine.empty()) {
    return Status(StatusCode::InvalidArgument, "couldn't find local name \"" + options_.name +
                                                   "\" in the initial cluster configuration");
  }
  if (names.size() > 1) {
    return Status(StatusCode::Unimplemented,
                  "--initial-cluster names " + std::to_string(names.size()) +
                      " members; multi-member clusters are not yet in effect in this Cairn "
                      "build (single member only)");
  }
  std::set<std::string> a(mine.begin(), mine.end());
  std::set<std::string> b(options_.advertisePeerUrls.begin(), options_.advertisePeerUrls.end());
  if (a != b) {
    std::string got, want;
    for (const auto& u : b) got += (got.empty() ? "" : ",") + u;
    for (const auto& u : a) want += (want.empty() ? "" : ",") + u;
    return Status(StatusCode::InvalidArgument,
                  "--initial-cluster has " + options_.name + "=" + want +
                      " but missing from --initial-advertise-peer-urls=" + got);
  }
  return Status::ok();
}

Status Server::openStorage() {
  std::error_code ec;
  fs::create_directories(snapDir_, ec);
  if (ec) {
    return Status(StatusCode::FailedPrecondition,
                  "cannot create data dir " + snapDir_ + ": " + ec.message());
  }
  storage::Options bopts = options_.backendOptions;
  bopts.path = memberDir_ + "/" + std::string(backend_->name());
  if (Status st = backend_->open(bopts); !st) {
    return Status(st.code(), "cannot open " + std::string(backend_->name()) + " backend at " +
                                 bopts.path + ": " + st.message());
  }
  store_ = std::make_unique<mvcc::KvStore>(*backend_);
  if (Status st = store_->restore(); !st) return st;
  snapshotter_ = std::make_unique<wal::Snapshotter>(snapDir_);
  return Status::ok();
}

raft::Config Server::raftConfig() {
  raft::Config cfg;
  cfg.id = memberId_;
  // One tick per heartbeat; the election timeout in ticks, as etcd derives it.
  cfg.electionTick = static_cast<int>(options_.electionTimeoutMs / options_.heartbeatIntervalMs);
  cfg.heartbeatTick = 1;
  cfg.storage = &raftStorage_;
  cfg.checkQuorum = true;
  cfg.preVote = options_.preVote;
  cfg.maxSizePerMsg = 1024 * 1024;
  cfg.maxInflightMsgs = 512;
  cfg.randomSeed = memberId_ ^ static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  return cfg;
}

Status Server::bootstrapNew() {
  if (Status st = validateInitialCluster(); !st) return st;
  memberId_ = computeMemberId(options_.advertisePeerUrls, options_.initialClusterToken);
  clusterId_ = computeClusterId({memberId_});

  etcdserverpb::Metadata meta;
  meta.set_nodeid(memberId_);
  meta.set_clusterid(clusterId_);
  wal::Options wopts;
  wopts.segmentSizeBytes = options_.walSegmentBytes;
  std::error_code ec;
  fs::create_directories(fs::path(walDir_).parent_path(), ec);
  if (Status st = wal::Wal::create(walDir_, meta.SerializeAsString(), wopts, &wal_); !st) {
    return st;
  }

  raft::Config cfg = raftConfig();
  if (Status st = raft::RawNode::create(cfg, &node_); !st) return st;
  if (Status st = node_->bootstrap({memberId_}); !st) return st;
  logger_.info(kCaller, "starting local member",
               jsonField("local-member-id", idToHex(memberId_)) + "," +
                   jsonField("cluster-id", idToHex(clusterId_)));
  return Status::ok();
}

Status Server::recoverExisting() {
  std::vector<wal::WalSnapshot> markers;
  if (Status st = wal::readSnapshotMarkers(walDir_, &markers); !st) return st;
  raftpb::Snapshot snap;
  bool haveSnap = false;
  if (Status st = snapshotter_->loadNewestAvailable(markers, &snap); st) {
    haveSnap = true;
  } else if (st.code() != StatusCode::NotFound) {
    return st;
  }
  const uint64_t snapIndex = haveSnap ? snap.metadata().index() : 0;
  // A backend that is behind the snapshot (memory backend after a restart,
  // or a backend switch) is restored from the snapshot's exported state.
  if (haveSnap && store_->consistentIndex() < snapIndex) {
    if (snap.data().empty()) {
      return Status(StatusCode::DataLoss,
                    "backend is at index " + std::to_string(store_->consistentIndex()) +
                        " but the snapshot at index " + std::to_string(snapIndex) +
                        " carries no backend state; the backend files are missing or stale");
    }
    bool fed = false;
    Status st = backend_->importState([&](std::string& chunk) {
      if (fed) return false;
      chunk = snap.data();
      fed = true;
      return true;
    });
    if (!st) return st;
    store_ = std::make_unique<mvcc::KvStore>(*backend_);
    if (Status rst = store_->restore(); !rst) return rst;
    logger_.info(kCaller, "restored backend from snapshot",
                 jsonField("snapshot-index", static_cast<long long>(snapIndex)));
  }

  std::string metadata;
  raftpb::HardState hs;
  std::vector<raftpb::Entry> entries;
  bool repaired = false;
  wal::Options wopts;
  wopts.segmentSizeBytes = options_.walSegmentBytes;
  wal::WalSnapshot from{snapIndex, haveSnap ? snap.metadata().term() : 0};
  if (Status st = wal::Wal::open(walDir_, from, wopts, &wal_, &metadata, &hs, &entries, &repaired);
      !st) {
    return st;
  }
  if (repaired) {
    logger_.warn(kCaller, "repaired torn tail of the write-ahead log",
                 jsonField("wal-dir", walDir_));
  }
  etcdserverpb::Metadata meta;
  if (!meta.ParseFromString(metadata)) {
    return Status(StatusCode::DataLoss, "wal: cannot parse member metadata in " + walDir_);
  }
  memberId_ = meta.nodeid();
  clusterId_ = meta.clusterid();

  if (haveSnap) {
    if (Status st = raftStorage_.applySnapshot(snap); !st) return st;
    confState_ = snap.metadata().conf_state();
    snapshotIndex_ = snapIndex;
  }
  raftStorage_.setHardState(hs);
  if (Status st = raftStorage_.append(entries); !st) return st;

  raft::Config cfg = raftConfig();
  // Raft re-delivers every committed entry after the snapshot: membership
  // lives in raft's conf state, which is rebuilt by re-applying the conf
  // changes after the snapshot. Requests the backend already holds
  // (index <= consistent_index) are skipped by the apply loop.
  cfg.applied = snapIndex;
  if (Status st = raft::RawNode::create(cfg, &node_); !st) return st;
  appliedIndex_ = cfg.applied;
  logger_.info(
      kCaller, "restarting local member",
      jsonField("local-member-id", idToHex(memberId_)) + "," +
          jsonField("cluster-id", idToHex(clusterId_)) + "," +
          jsonField("commit-index", static_cast<long long>(hs.commit())) + "," +
          jsonField("consistent-index", static_cast<long long>(store_->consistentIndex())));
  return Status::ok();
}

Status Server::start() {
  if (Status st = openStorage(); !st) return st;
  const bool exists = wal::Wal::exists(walDir_);
  if (Status st = exists ? recoverExisting() : bootstrapNew(); !st) return st;

  lease::LessorConfig lessorConfig;
  lessorConfig.minTtl = lease::minLeaseTtl(static_cast<int64_t>(options_.electionTimeoutMs),
                                           static_cast<int64_t>(options_.heartbeatIntervalMs));
  lessorConfig.checkpointEnabled = options_.leaseCheckpoint;
  lessorConfig.checkpointPersist = options_.leaseCheckpointPersist;
  // As etcd's server configures it: a revoke that has not applied within a
  // request timeout is assumed lost and proposed again.
  lessorConfig.expiredRetryInterval =
      std::chrono::seconds(5) + std::chrono::milliseconds(2 * options_.electionTimeoutMs);
  lessor_ = std::make_unique<lease::Lessor>(lessorConfig);
  if (Status st = recoverLeases(); !st) return st;

  KvApplier::Options applierOptions;
  applierOptions.inlinePhysicalCompaction = false;  // compactLoop() does it
  applier_ = std::make_unique<KvApplier>(
      *store_, [this](int64_t id) { return lessor_->exists(id); }, applierOptions);

  watch::HubConfig hubConfig;
  // etcd splits fragmenting watchers' responses at the request size limit
  // plus the 512 KiB it allows for gRPC framing (grpcOverheadBytes).
  hubConfig.maxResponseBytes = options_.maxRequestBytes + 512 * 1024;
  watchHub_ = std::make_unique<watch::WatchHub>(
      store_->currentRevision(),
      [this](int64_t from, int64_t to, std::size_t limit, std::vector<mvccpb::Event>* out,
             int64_t* next) { return store_->history(from, to, limit, out, next); },
      [this](const std::string& key, int64_t rev, mvccpb::KeyValue* out) {
        mvcc::RangeOptions o;
        o.rev = rev;
        mvcc::RangeResult rr;
        if (!store_->range(key, "", o, &rr) || rr.kvs.empty()) return false;
        *out = std::move(rr.kvs.front());
        return true;
      },
      [this] { return store_->compactedRevision(); }, hubConfig);
  leaseDriver_ = std::make_unique<LeaseDriver>(*this, *lessor_, logger_);
  nextRequestId_ = ((memberId_ & 0xffff) << 48) |
                   ((static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()) &
                     0xffffffffffULL)
                    << 8);
  readPool_ = std::make_unique<boost::asio::thread_pool>(2);
  replyPool_ = std::make_unique<boost::asio::thread_pool>(1);
  readGate_ = std::make_unique<ReadGate>(
      [this](std::vector<ReadGate::Read>&& reads) { dispatchReads(std::move(reads)); });
  readGate_->onApplied(appliedIndex_);

  // Named so top -H, gdb and perf show which loop is which.
  applyThread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-apply");
    applyLoop();
  });
  raftThread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-raft");
    raftLoop();
  });
  compactThread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-compact");
    compactLoop();
  });
  watchThread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-watch");
    watchLoop();
  });
  leaseDriver_->start();

  std::unique_lock lk(readyMu_);
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(10 * options_.electionTimeoutMs + 10000);
  if (!readyCv_.wait_until(lk, deadline, [this] { return ready_ || stopped_.load(); }) || !ready_) {
    lk.unlock();
    stop();
    return Status(StatusCode::Unavailable, "member did not become ready (no leader elected)");
  }
  logger_.info(
      kCaller, "published local member to cluster through raft",
      jsonField("local-member-id", idToHex(memberId_)) + "," +
          jsonField(
              "local-member-attributes", "{Name:" + options_.name + " ClientURLs:[" +
                                             [this] {
                                               std::string s;
                                               for (const auto& u : options_.advertiseClientUrls)
                                                 s += (s.empty() ? "" : " ") + u;
                                               return s;
                                             }() +
                                             "]}") +
          "," + jsonField("cluster-id", idToHex(clusterId_)));
  logger_.info("membership/cluster.go", "set initial cluster version",
               jsonField("cluster-id", idToHex(clusterId_)) + "," +
                   jsonField("local-member-id", idToHex(memberId_)) + "," +
                   jsonField("cluster-version", "3.4"));
  logger_.info("api/capability.go", "enabled capabilities for version",
               jsonField("cluster-version", "3.4"));
  return Status::ok();
}

void Server::stop() {
  if (stopped_.exchange(true)) return;
  // Kept (not destroyed) until the server is: proposal callbacks of its
  // revokes still run when stop() fails the waiters below.
  if (leaseDriver_) leaseDriver_->stop();
  {
    std::lock_guard lk(watchMu_);
    watchStop_ = true;
  }
  watchCv_.notify_all();
  if (watchThread_.joinable()) watchThread_.join();
  {
    std::lock_guard lk(raftMu_);
    raftStop_ = true;
  }
  raftCv_.notify_all();
  if (raftThread_.joinable()) raftThread_.join();
  {
    std::lock_guard lk(applyMu_);
    applyStop_ = true;
  }
  applyCv_.notify_all();
  if (applyThread_.joinable()) applyThread_.join();
  readyCv_.notify_all();
  {
    std::lock_guard lk(compactMu_);
    compactStop_ = true;
  }
  compactCv_.notify_all();
  if (compactThread_.joinable()) compactThread_.join();

  const Status stopped(Error::Stopped);
  waiters_.failAll(stopped);
  // An unfinished compaction resumes on restart (its mark is in the backend);
  // whoever waited for it learns the member stopped.
  for (auto& [done, result] : physicalWaits_) done(ApplyResult{stopped, nullptr});
  physicalWaits_.clear();
  for (auto& [_, v] : inflightReads_) {
    for (auto& r : v.first) r(stopped);
  }
  inflightReads_.clear();
  for (auto& r : pendingReads_) r(stopped);
  pendingReads_.clear();
  if (readGate_) {
    for (auto& r : readGate_->drain()) r(stopped);
  }
  if (readPool_) readPool_->join();
  if (replyPool_) replyPool_->join();
  if (backend_ && store_) {
    if (Status st = backend_->sync(); !st) {
      logger_.error(kCaller, "failed to sync backend on shutdown",
                    jsonField("error", st.message()));
    }
  }
  {
    std::lock_guard lk(walMu_);
    if (wal_) {
      wal_->close();
      wal_.reset();
    }
  }
  applier_.reset();
  store_.reset();
  if (backend_) backend_->close();
}

void Server::propose(etcdserverpb::InternalRaftRequest req, ApplyDone done) {
  if (stopped_) {
    done(ApplyResult{Status(Error::Stopped), nullptr});
    return;
  }
  const uint64_t id = nextRequestId_.fetch_add(1);
  req.mutable_header()->set_id(id);
  std::string data = req.SerializeAsString();
  if (data.size() > options_.maxRequestBytes) {
    done(ApplyResult{Status(Error::RequestTooLarge), nullptr});
    return;
  }
  {
    // Checked under raftMu_, which stop() holds to set raftStop_: a proposal
    // is either queued before the raft loop exits (and its waiter failed by
    // stop()), or refused here; none is left unanswered.
    std::unique_lock lk(raftMu_);
    if (raftStop_) {
      lk.unlock();
      done(ApplyResult{Status(Error::Stopped), nullptr});
      return;
    }
    waiters_.add(id, std::move(done), requestDeadline());
    pendingProposals_.emplace_back(id, std::move(data));
  }
  raftCv_.notify_one();
}

void Server::readLinearizable(ReadGate::Read read) {
  if (stopped_) {
    read(Status(Error::Stopped));
    return;
  }
  {
    std::unique_lock lk(raftMu_);  // as in propose(): stop() answers what is queued
    if (raftStop_) {
      lk.unlock();
      read(Status(Error::Stopped));
      return;
    }
    pendingReads_.push_back(std::move(read));
  }
  raftCv_.notify_one();
}

void Server::readSerializable(ReadGate::Read read) {
  if (stopped_) {
    read(Status(Error::Stopped));
    return;
  }
  std::vector<ReadGate::Read> one;
  one.push_back(std::move(read));
  dispatchReads(std::move(one));
}

void Server::dispatchReads(std::vector<ReadGate::Read>&& reads) {
  for (auto& r : reads) {
    boost::asio::post(*readPool_, [r = std::move(r)] { r(Status::ok()); });
  }
}

etcdserverpb::ResponseHeader Server::header(int64_t revision) const {
  etcdserverpb::ResponseHeader h;
  h.set_cluster_id(clusterId_);
  h.set_member_id(memberId_);
  h.set_revision(revision);
  h.set_raft_term(term_.load());
  return h;
}

// ---------------------------------------------------------------- raft loop

void Server::raftLoop() {
  const auto tickInterval = std::chrono::milliseconds(options_.heartbeatIntervalMs);
  auto nextTick = Clock::now() + tickInterval;
  bool campaigned = false;

  for (;;) {
    std::vector<std::pair<uint64_t, std::string>> proposals;
    std::vector<ReadGate::Read> reads;
    std::vector<std::shared_ptr<ConfChangeRequest>> confChanges;
    {
      std::unique_lock lk(raftMu_);
      raftCv_.wait_until(lk, nextTick, [this] {
        return raftStop_ || !pendingProposals_.empty() || !pendingReads_.empty() ||
               !pendingConfChanges_.empty();
      });
      if (raftStop_) break;
      proposals.swap(pendingProposals_);
      reads.swap(pendingReads_);
      confChanges.swap(pendingConfChanges_);
    }

    for (auto& req : confChanges) req->result.set_value(node_->applyConfChange(req->cc));

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
    if (!campaigned && node_->lead() == raft::kNone) {
      auto st = node_->status();
      if (st.confState.voters_size() == 1 && st.confState.voters(0) == memberId_) {
        campaigned = node_->campaign().isOk();
      }
    }

    for (auto& [id, data] : proposals) {
      if (Status st = node_->propose(std::move(data)); !st) {
        waiters_.fail(id, node_->lead() == raft::kNone
                              ? Status(Error::NoLeader)
                              : Status(StatusCode::Unavailable, st.message()));
      }
    }
    if (!reads.empty()) {
      // One ReadIndex round confirms every read queued since the last one.
      std::string ctx = mvcc::uint64ToBytes(++readSeq_);
      node_->readIndex(ctx);
      inflightReads_.emplace(ctx, std::make_pair(std::move(reads), requestDeadline()));
    }
    while (node_->hasReady()) handleReady();
  }
}

void Server::handleReady() {
  raft::Ready rd = node_->ready();
  if (rd.softState) {
    const uint64_t previous = lead_.exchange(rd.softState->lead);
    // Only the leader expires leases; a deposed one stops at once.
    if (previous == memberId_ && rd.softState->lead != memberId_) lessor_->demote();
    if (previous != rd.softState->lead && rd.softState->lead != raft::kNone) {
      logger_.info("raft/raft.go",
                   rd.softState->lead == memberId_ ? "became leader" : "leader changed",
                   jsonField("local-member-id", idToHex(memberId_)) + "," +
                       jsonField("leader", idToHex(rd.softState->lead)));
    }
  }
  for (auto& rs : rd.readStates) {
    auto it = inflightReads_.find(rs.requestCtx);
    if (it == inflightReads_.end()) continue;
    readGate_->add(rs.index, std::move(it->second.first));
    inflightReads_.erase(it);
  }
  {
    std::lock_guard lk(walMu_);
    if (rd.hasSnapshot) {
      if (Status st = snapshotter_->save(rd.snapshot); !st) {
        logger_.log(LogLevel::Fatal, kCaller, "failed to save incoming snapshot",
                    jsonField("error", st.message()));
        std::abort();
      }
      wal::WalSnapshot mark{rd.snapshot.metadata().index(), rd.snapshot.metadata().term()};
      if (Status st = wal_->saveSnapshot(mark); !st) {
        logger_.log(LogLevel::Fatal, kCaller, "failed to mark snapshot in wal",
                    jsonField("error", st.message()));
        std::abort();
      }
    }
    if (rd.hardStateChanged || !rd.entries.empty()) {
      // Durability is not negotiable: a WAL that cannot be written means the
      // member must stop rather than acknowledge anything.
      if (Status st = wal_->save(rd.hardState, rd.entries, rd.mustSync); !st) {
        logger_.log(LogLevel::Fatal, kCaller, "failed to write to the write-ahead log",
                    jsonField("error", st.message()));
        std::abort();
      }
    }
  }
  if (rd.hasSnapshot) raftStorage_.applySnapshot(rd.snapshot);
  if (rd.hardStateChanged) raftStorage_.setHardState(rd.hardState);
  if (!rd.entries.empty()) raftStorage_.append(rd.entries);
  term_ = node_->term();
  if (node_->lead() == memberId_) {
    std::lock_guard lk(readyMu_);
    if (!ready_ && readyIndex_ == 0) {
      // Everything committed when we became leader (including the leader's
      // own empty entry) must be applied before serving. Set before the
      // entries reach the apply loop, which then reports readiness.
      readyIndex_ = node_->status().lastIndex;
      if (appliedIndex_ >= readyIndex_) {
        ready_ = true;
        readyCv_.notify_all();
      }
    }
  }
  // Single member: there are no peers to send to (the transport comes with
  // the cluster issue); messages addressed to ourselves do not occur.
  if (!rd.committedEntries.empty()) {
    {
      std::lock_guard lk(applyMu_);
      applyQueue_.push_back(rd.committedEntries);
    }
    applyCv_.notify_one();
  }
  node_->advance(rd);
}

// --------------------------------------------------------------- apply loop

void Server::applyLoop() {
  for (;;) {
    std::vector<raftpb::Entry> batch;
    {
      std::unique_lock lk(applyMu_);
      applyCv_.wait(lk, [this] { return applyStop_ || !applyQueue_.empty(); });
      if (applyQueue_.empty()) break;  // stopping and drained
      batch = std::move(applyQueue_.front());
      applyQueue_.pop_front();
    }
    for (const auto& e : batch) {
      if (e.index() <= appliedIndex_) continue;
      applyEntry(e);
      appliedIndex_ = e.index();
    }
    readGate_->onApplied(appliedIndex_);
    {
      std::lock_guard lk(readyMu_);
      if (!ready_ && readyIndex_ != 0 && appliedIndex_ >= readyIndex_) {
        ready_ = true;
        readyCv_.notify_all();
      }
    }
    maybeSnapshot();
  }
}

void Server::applyEntry(const raftpb::Entry& entry) {
  switch (entry.type()) {
    case raftpb::ENTRY_NORMAL:
      applyNormal(entry);
      break;
    case raftpb::ENTRY_CONF_CHANGE:
      applyConfChange(entry);
      break;
    default:
      logger_.error(kCaller, "skipping entry of unknown type",
                    jsonField("index", static_cast<long long>(entry.index())));
      store_->setConsistentIndex(entry.index());
  }
}

void Server::applyNormal(const raftpb::Entry& entry) {
  const bool alreadyApplied = entry.index() <= store_->consistentIndex();
  if (entry.data().empty() || alreadyApplied) {
    // The leader's empty entry at the start of its term, or an entry the
    // backend held before a restart.
    if (!alreadyApplied) {
      store_->setConsistentIndex(entry.index());
      // As etcd: a new leader's lessor becomes primary once everything of
      // earlier terms is applied, and extends every lease by an election
      // timeout so none expires because the cluster had no leader.
      if (entry.data().empty() && isLeader()) {
        lessor_->promote(std::chrono::milliseconds(options_.electionTimeoutMs));
      }
    }
    return;
  }
  etcdserverpb::InternalRaftRequest req;
  if (!req.ParseFromString(entry.data())) {
    logger_.error(kCaller, "cannot parse a committed request; skipping it",
                  jsonField("index", static_cast<long long>(entry.index())));
    store_->setConsistentIndex(entry.index());
    return;
  }
  ApplyResult result = applyRequest(req, entry.index());
  if (result.response) {
    // The applier sets the revision; the member fills in who answered.
    auto* msg = result.response.get();
    const auto* field = msg->GetDescriptor()->FindFieldByName("header");
    if (field != nullptr) {
      auto* h = static_cast<etcdserverpb::ResponseHeader*>(
          msg->GetReflection()->MutableMessage(msg, field));
      h->set_cluster_id(clusterId_);
      h->set_member_id(memberId_);
      h->set_raft_term(term_.load());
    }
  }
  ApplyDone done = waiters_.take(req.header().id());
  if (req.has_compaction() && result.status) {
    std::lock_guard lk(compactMu_);
    compactCv_.notify_one();
    if (done && req.compaction().physical()) {
      // etcd answers a physical compaction once the revisions are gone.
      physicalWaits_.emplace_back(std::move(done), std::move(result));
      return;
    }
  }
  if (done) {
    boost::asio::post(*replyPool_, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }
}

void Server::compactLoop() {
  // etcd's pacing: batches of the store's batch limit, 10 ms apart, so reads
  // and writes keep the backend between batches.
  constexpr auto kPause = std::chrono::milliseconds(10);
  std::unique_lock lk(compactMu_);
  for (;;) {
    compactCv_.wait(lk, [this] {
      return compactStop_ || store_->hasPendingCompactions() || !physicalWaits_.empty();
    });
    if (compactStop_) return;
    lk.unlock();
    bool finished = !store_->hasPendingCompactions();
    while (!finished) {
      if (Status st = store_->runPendingCompactions(1, &finished); !st) {
        logger_.error(kCaller, "physical compaction failed; retrying",
                      jsonField("error", st.message()));
        finished = false;
        std::this_thread::sleep_for(std::chrono::seconds(1));
      } else if (!finished) {
        std::this_thread::sleep_for(kPause);
      }
      std::lock_guard stopLk(compactMu_);
      if (compactStop_) return;
    }
    lk.lock();
    // Scheduling happens before a waiter is queued, so with nothing pending
    // every queued waiter's compaction is done.
    if (!store_->hasPendingCompactions()) {
      for (auto& [done, result] : physicalWaits_) {
        boost::asio::post(*replyPool_,
                          [done = std::move(done), result = std::move(result)]() mutable {
                            done(std::move(result));
                          });
      }
      physicalWaits_.clear();
    }
  }
}

ApplyResult Server::applyRequest(const etcdserverpb::InternalRaftRequest& req, uint64_t index) {
  ApplyResult r;
  std::vector<mvccpb::Event> events;
  if (req.has_put()) {
    auto resp = std::make_unique<etcdserverpb::PutResponse>();
    r.status = applier_->put(req.put(), resp.get(), index, &events);
    r.response = std::move(resp);
  } else if (req.has_delete_range()) {
    auto resp = std::make_unique<etcdserverpb::DeleteRangeResponse>();
    r.status = applier_->deleteRange(req.delete_range(), resp.get(), index, &events);
    r.response = std::move(resp);
  } else if (req.has_txn()) {
    auto resp = std::make_unique<etcdserverpb::TxnResponse>();
    r.status = applier_->txn(req.txn(), resp.get(), index, &events);
    r.response = std::move(resp);
  } else if (req.has_lease_grant()) {
    auto resp = std::make_unique<etcdserverpb::LeaseGrantResponse>();
    r.status = applyLeaseGrant(req.lease_grant(), index, resp.get());
    r.response = std::move(resp);
  } else if (req.has_lease_revoke()) {
    auto resp = std::make_unique<etcdserverpb::LeaseRevokeResponse>();
    r.status = applyLeaseRevoke(req.lease_revoke(), index, resp.get(), &events);
    r.response = std::move(resp);
  } else if (req.has_lease_checkpoint()) {
    auto resp = std::make_unique<etcdserverpb::LeaseCheckpointResponse>();
    r.status = applyLeaseCheckpoint(req.lease_checkpoint(), index, resp.get());
    r.response = std::move(resp);
  } else if (req.has_compaction()) {
    auto resp = std::make_unique<etcdserverpb::CompactionResponse>();
    r.status = applier_->compaction(req.compaction(), resp.get(), index);
    r.response = std::move(resp);
  } else {
    // A request kind this build cannot apply (e.g. written by a newer
    // member): skipped, but its index is still consumed.
    r.status = Status(StatusCode::Unimplemented, "etcdserver: unknown request kind in raft entry");
    logger_.error(kCaller, "skipping a committed request of unknown kind",
                  jsonField("index", static_cast<long long>(index)));
  }
  if (!events.empty()) publishEvents(events);
  // A request that wrote nothing (failed, or deleted nothing) still consumes
  // its index; a no-op when the applier already stored it.
  if (Status st = store_->setConsistentIndex(index); !st) {
    logger_.log(LogLevel::Fatal, kCaller, "cannot persist consistent index",
                jsonField("error", st.message()));
    std::abort();
  }
  return r;
}

namespace {

// The lessor's applied state and the store must never diverge: a lease
// change that cannot be committed stops the member (as etcd panics), and the
// restart rebuilds both from the backend.
void commitOrDie(Logger& logger, mvcc::WriteTxn& txn, uint64_t index, const char* what) {
  if (Status st = txn.end(index); !st) {
    logger.log(LogLevel::Fatal, kCaller, "cannot commit a lease change",
               jsonField("request", what) + "," + jsonField("error", st.message()));
    std::abort();
  }
}

}  // namespace

Status Server::applyLeaseGrant(const etcdserverpb::LeaseGrantRequest& req, uint64_t index,
                               etcdserverpb::LeaseGrantResponse* resp) {
  std::unique_ptr<mvcc::WriteTxn> txn = store_->write();
  lease::Lease granted;
  if (Status st = lessor_->grant(req.id(), req.ttl(), txn->batch(), &granted); !st) return st;
  commitOrDie(logger_, *txn, index, "lease grant");
  resp->set_id(granted.id);
  resp->set_ttl(granted.ttl);
  resp->mutable_header()->set_revision(store_->currentRevision());
  return Status::ok();
}

Status Server::applyLeaseRevoke(const etcdserverpb::LeaseRevokeRequest& req, uint64_t index,
                                etcdserverpb::LeaseRevokeResponse* resp,
                                std::vector<mvccpb::Event>* events) {
  // The attached keys are deleted in the same write transaction as the lease
  // record: one revision, one backend commit, as etcd's Revoke does.
  std::unique_ptr<mvcc::WriteTxn> txn = store_->write();
  std::vector<std::string> keys;
  if (Status st = lessor_->revoke(req.id(), txn->batch(), &keys); !st) return st;
  for (const auto& key : keys) {
    int64_t deleted = 0;
    int64_t rev = 0;
    if (Status st = txn->deleteRange(key, "", &deleted, &rev); !st) {
      logger_.log(LogLevel::Fatal, kCaller, "cannot delete a revoked lease's key",
                  jsonField("error", st.message()));
      std::abort();
    }
  }
  commitOrDie(logger_, *txn, index, "lease revoke");
  events->insert(events->end(), txn->events().begin(), txn->events().end());
  resp->mutable_header()->set_revision(store_->currentRevision());
  return Status::ok();
}

Status Server::applyLeaseCheckpoint(const etcdserverpb::LeaseCheckpointRequest& req, uint64_t index,
                                    etcdserverpb::LeaseCheckpointResponse* resp) {
  std::unique_ptr<mvcc::WriteTxn> txn = store_->write();
  for (const auto& cp : req.checkpoints()) {
    lessor_->applyCheckpoint(cp.id(), cp.remaining_ttl(), txn->batch());
  }
  commitOrDie(logger_, *txn, index, "lease checkpoint");
  resp->mutable_header()->set_revision(store_->currentRevision());
  return Status::ok();
}

void Server::publishEvents(const std::vector<mvccpb::Event>& events) {
  for (const auto& ev : events) {
    const int64_t before = ev.has_prev_kv() ? ev.prev_kv().lease() : lease::kNoLease;
    if (ev.type() == mvccpb::Event::PUT) {
      const int64_t now = ev.kv().lease();
      // Unknown leases were refused before the write; a lease revoked in this
      // very transaction no longer holds the key: errors mean nothing to undo.
      if (before != lease::kNoLease && before != now) (void)lessor_->detach(before, ev.kv().key());
      if (now != lease::kNoLease) (void)lessor_->attach(now, ev.kv().key());
    } else if (before != lease::kNoLease) {
      (void)lessor_->detach(before, ev.kv().key());
    }
  }
  watchHub_->notify(events.front().kv().mod_revision(), events);
}

Status Server::recoverLeases() {
  {
    std::unique_ptr<storage::ReadTxn> txn = backend_->beginRead();
    if (Status st = lessor_->recover(*txn); !st) {
      return Status(st.code(), "cannot recover leases: " + st.message());
    }
  }
  // Attachments are not stored with the leases; every live key names its
  // lease, so they are rebuilt from the keys (as etcd's store restore does).
  std::string from(1, '\0');
  const std::string end(1, '\0');
  std::size_t attached = 0;
  for (;;) {
    mvcc::RangeOptions o;
    o.limit = kLeaseRecoveryPage;
    mvcc::RangeResult rr;
    if (Status st = store_->range(from, end, o, &rr); !st) return st;
    for (const auto& kv : rr.kvs) {
      if (kv.lease() == lease::kNoLease) continue;
      if (Status st = lessor_->attach(kv.lease(), kv.key()); !st) {
        logger_.error(kCaller, "key names a lease that does not exist; left unattached",
                      jsonField("key", kv.key()) + "," +
                          jsonField("lease-id", static_cast<long long>(kv.lease())));
      } else {
        ++attached;
      }
    }
    if (static_cast<int64_t>(rr.kvs.size()) < kLeaseRecoveryPage) break;
    from = rr.kvs.back().key() + std::string(1, '\0');
  }
  if (lessor_->size() > 0) {
    logger_.info(kCaller, "recovered leases",
                 jsonField("leases", static_cast<long long>(lessor_->size())) + "," +
                     jsonField("attached-keys", static_cast<long long>(attached)));
  }
  return Status::ok();
}

void Server::watchLoop() {
  auto nextProgress = Clock::now() + options_.watchProgressNotifyInterval;
  std::unique_lock lk(watchMu_);
  while (!watchStop_) {
    lk.unlock();
    const std::size_t lagging = watchHub_->syncUnsynced(kWatchSyncHistoryKeys);
    const auto now = Clock::now();
    if (now >= nextProgress) {
      watchHub_->progressTick();
      nextProgress = now + options_.watchProgressNotifyInterval;
    }
    lk.lock();
    watchCv_.wait_for(lk, lagging > 0 ? kWatchSyncBusyInterval : kWatchSyncInterval,
                      [this] { return watchStop_; });
  }
}

void Server::applyConfChange(const raftpb::Entry& entry) {
  raftpb::ConfChange cc;
  if (!cc.ParseFromString(entry.data())) {
    logger_.error(kCaller, "cannot parse a committed conf change; skipping it",
                  jsonField("index", static_cast<long long>(entry.index())));
  } else {
    auto req = std::make_shared<ConfChangeRequest>();
    req->cc = cc;
    auto fut = req->result.get_future();
    {
      std::lock_guard lk(raftMu_);
      pendingConfChanges_.push_back(req);
    }
    raftCv_.notify_one();
    // The raft loop answers on its next turn; while stopping it may not.
    while (fut.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      std::lock_guard lk(raftMu_);
      if (raftStop_) return;
    }
    confState_ = fut.get();
    if (cc.type() == raftpb::CONF_CHANGE_ADD_NODE && cc.node_id() == memberId_ &&
        entry.index() > store_->consistentIndex()) {
      logger_.info("membership/cluster.go", "added member",
                   jsonField("cluster-id", idToHex(clusterId_)) + "," +
                       jsonField("added-peer-id", idToHex(cc.node_id())));
    }
  }
  if (entry.index() > store_->consistentIndex()) store_->setConsistentIndex(entry.index());
}

void Server::maybeSnapshot() {
  const uint64_t applied = appliedIndex_;
  if (applied - snapshotIndex_ <= options_.snapshotCount) return;
  // The snapshot stands in for the log up to `applied`, so the backend must
  // durably hold that state first; a non-persistent backend ships its whole
  // state inside the snapshot file instead.
  if (Status st = backend_->sync(); !st) {
    logger_.error(kCaller, "cannot sync backend for snapshot", jsonField("error", st.message()));
    return;
  }
  std::string data;
  if (!backend_->persistent()) {
    Status st = backend_->exportState([&](std::string_view chunk) {
      data.append(chunk);
      return Status::ok();
    });
    if (!st) {
      logger_.error(kCaller, "cannot export backend for snapshot",
                    jsonField("error", st.message()));
      return;
    }
  }
  raftpb::Snapshot snap;
  if (Status st = raftStorage_.createSnapshot(applied, &confState_, data, &snap); !st) {
    logger_.error(kCaller, "cannot create snapshot", jsonField("error", st.message()));
    return;
  }
  {
    std::lock_guard lk(walMu_);
    if (Status st = snapshotter_->save(snap); !st) {
      logger_.error(kCaller, "cannot save snapshot", jsonField("error", st.message()));
      return;
    }
    if (Status st = wal_->saveSnapshot({applied, snap.metadata().term()}); !st) {
      logger_.log(LogLevel::Fatal, kCaller, "failed to mark snapshot in wal",
                  jsonField("error", st.message()));
      std::abort();
    }
    if (Status st = wal_->releaseTo(applied); !st) {
      logger_.warn(kCaller, "cannot release old wal segments", jsonField("error", st.message()));
    }
  }
  snapshotIndex_ = applied;
  if (applied > kSnapshotCatchUpEntries) {
    raftStorage_.compact(applied - kSnapshotCatchUpEntries);
  }
  if (Status st = snapshotter_->purge(options_.maxSnapshots); !st) {
    logger_.warn(kCaller, "cannot purge old snapshots", jsonField("error", st.message()));
  }
  logger_.info(kCaller, "saved snapshot",
               jsonField("snapshot-index", static_cast<long long>(applied)));
}

}  // namespace cairn::server
