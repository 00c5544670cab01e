// Randomized simulation: many seeds of a small cluster under message loss,
// duplication, reordering, partitions, crashes and log compaction, checking
// the Raft safety properties after every step and liveness at the end.
//
// CAIRN_RAFT_SEEDS overrides the number of seeds (default 1000);
// CAIRN_RAFT_SEED runs only that one seed (to replay a failure);
// CAIRN_RAFT_STEPS sets the random steps per seed (default 3000).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include "network.h"

using namespace cairn;
using namespace cairn::raft;
using cairn::raft::test::Network;

namespace {

struct Violation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

uint64_t dataHash(const std::string& s) {
  return std::hash<std::string>{}(s);
}

class Simulation {
 public:
  explicit Simulation(uint64_t seed) : rng_(seed), seed_(seed) {
    int n = 3 + static_cast<int>(rng_() % 3);
    std::vector<uint64_t> ids;
    for (int i = 1; i <= n; i++) ids.push_back(i);
    bool preVote = rng_() % 2;
    bool checkQuorum = rng_() % 2;
    bool smallMsgs = rng_() % 2;
    describe_ << "nodes=" << n << " preVote=" << preVote << " checkQuorum=" << checkQuorum
              << " smallMsgs=" << smallMsgs;
    net_ = std::make_unique<Network>(
        ids,
        [=](Config& c) {
          c.preVote = preVote;
          c.checkQuorum = checkQuorum;
          if (smallMsgs) {
            c.maxSizePerMsg = 64;
            c.maxInflightMsgs = 4;
          }
        },
        seed);
    ids_ = ids;
    net_->onPersist = [this](uint64_t id, const std::vector<raftpb::Entry>& ents) {
      checkLogMatching(id, ents);
    };
    net_->onApply = [this](uint64_t id, const raftpb::Entry& e, uint64_t h) {
      checkApply(id, e, h);
    };
    net_->onRestore = [this](uint64_t id, const raftpb::Snapshot& s) { checkRestore(id, s); };
    // Bootstrap entries were applied before the hooks existed.
    for (uint64_t id : ids_) {
      appliedHash_[net_->sim(id).appliedIndex] = net_->sim(id).stateHash;
    }
  }

  std::string describe() const { return describe_.str(); }

  struct Stats {
    uint64_t leaderTerms = 0, committed = 0, restores = 0, delivered = 0;
  };
  Stats stats() const {
    Stats s;
    s.leaderTerms = leaders_.size();
    s.committed = committed_.size();
    s.restores = restores_;
    return s;
  }

  void run(int steps) {
    for (step_ = 0; step_ < steps; step_++) {
      randomStep();
      checkInvariants();
    }
    checkLiveness();
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    std::ostringstream os;
    os << "seed " << seed_ << " (" << describe() << ") step " << step_ << ": " << what;
    throw Violation(os.str());
  }

  bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  uint64_t randomNode() { return ids_[rng_() % ids_.size()]; }
  int downCount() {
    int d = 0;
    for (uint64_t id : ids_) d += net_->sim(id).down ? 1 : 0;
    return d;
  }

  void randomStep() {
    auto& q = net_->queue();
    int r = static_cast<int>(rng_() % 100);
    if (q.size() > 300) r = 40;  // keep the queue bounded: deliver
    if (r < 30) {
      uint64_t id = randomNode();
      if (!net_->sim(id).down) net_->tick(id);
    } else if (r < 70) {
      if (q.empty()) return;
      // Mostly from the front (roughly ordered), sometimes any (reordering).
      size_t i = chance(70) ? 0 : rng_() % q.size();
      net_->deliverAt(i, chance(5));
    } else if (r < 76) {
      if (!q.empty()) net_->dropAt(rng_() % q.size());
    } else if (r < 88) {
      uint64_t id = randomNode();
      if (net_->sim(id).down) return;
      std::string data = "v" + std::to_string(nextValue_++);
      (void)net_->raw(id).propose(data);  // dropped proposals are fine
      net_->handleReady(id);
    } else if (r < 92) {
      if (chance(50)) {
        net_->heal();
      } else {
        uint64_t a = randomNode(), b = randomNode();
        if (a != b) net_->cut(a, b);
      }
    } else if (r < 95) {
      uint64_t id = randomNode();
      if (net_->sim(id).down) {
        net_->restart(id);
      } else if (downCount() < static_cast<int>(ids_.size() - 1) / 2 + 1) {
        net_->crash(id);
      }
    } else if (r < 98) {
      uint64_t id = randomNode();
      if (!net_->sim(id).down) net_->compact(id);
    } else {
      // A batch of ticks for everyone, so elections happen regularly.
      for (uint64_t id : ids_) {
        if (!net_->sim(id).down) net_->tick(id);
      }
    }
  }

  // Log matching, checked on every entry when it is persisted: the same
  // (index, term) always carries the same data and follows the same term.
  void checkLogMatching(uint64_t id, const std::vector<raftpb::Entry>& ents) {
    MemoryStorage& st = *net_->sim(id).storage;
    for (size_t k = 0; k < ents.size(); k++) {
      const auto& e = ents[k];
      uint64_t prevTerm = 0;
      bool havePrev = true;
      if (k > 0) {
        prevTerm = ents[k - 1].term();
      } else if (!st.term(e.index() - 1, &prevTerm).isOk()) {
        havePrev = false;
      }
      auto key = std::make_pair(e.index(), e.term());
      uint64_t h = dataHash(e.data()) ^ static_cast<uint64_t>(e.type());
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        entries_[key] = {h, havePrev ? prevTerm : kNoLimit};
        continue;
      }
      if (it->second.first != h) {
        fail("log matching: node " + std::to_string(id) + " has different data at index " +
             std::to_string(e.index()) + " term " + std::to_string(e.term()));
      }
      if (havePrev) {
        if (it->second.second == kNoLimit) {
          it->second.second = prevTerm;
        } else if (it->second.second != prevTerm) {
          fail("log matching: node " + std::to_string(id) + " entry " + std::to_string(e.index()) +
               " follows a different term");
        }
      }
    }
  }

  // State machine safety: every node that applied index i has the same state
  // (the hash covers all entries up to i), and applies without gaps.
  void checkApply(uint64_t id, const raftpb::Entry& e, uint64_t h) {
    auto it = appliedHash_.find(e.index());
    if (it != appliedHash_.end() && it->second != h) {
      fail("state machine safety: node " + std::to_string(id) + " applied a different entry " +
           std::to_string(e.index()));
    }
    appliedHash_[e.index()] = h;
    uint64_t t = net_->raw(id).term();
    auto ct = committed_.find(e.index());
    if (ct == committed_.end()) {
      committed_[e.index()] = {e.term(), t};
      // Current leaders of later terms must already hold it.
      for (const auto& [term, lid] : leaders_) {
        if (term > t) checkLeaderHas(lid, term, e.index(), e.term());
      }
    } else {
      if (ct->second.first != e.term()) fail("committed entry changed term");
      ct->second.second = std::min(ct->second.second, t);
    }
  }

  void checkRestore(uint64_t id, const raftpb::Snapshot& s) {
    restores_++;
    auto it = appliedHash_.find(s.metadata().index());
    if (it == appliedHash_.end() || it->second != std::stoull(s.data())) {
      fail("snapshot restored on node " + std::to_string(id) + " at " +
           std::to_string(s.metadata().index()) + " does not match applied state");
    }
  }

  void checkLeaderHas(uint64_t lid, uint64_t term, uint64_t index, uint64_t entryTerm) {
    auto& sim = net_->sim(lid);
    if (sim.down || sim.node->state() != StateType::Leader || sim.node->term() != term) return;
    MemoryStorage& st = *sim.storage;
    if (index < st.firstIndex()) return;  // in its snapshot
    uint64_t t = 0;
    if (!st.term(index, &t).isOk() || t != entryTerm) {
      fail("leader completeness: leader " + std::to_string(lid) + " of term " +
           std::to_string(term) + " lacks committed entry " + std::to_string(index));
    }
  }

  void checkInvariants() {
    for (uint64_t id : ids_) {
      auto& sim = net_->sim(id);
      if (sim.down) continue;
      RawNode& n = *sim.node;
      if (n.state() == StateType::Leader) {
        auto [it, inserted] = leaders_.emplace(n.term(), id);
        if (!inserted && it->second != id) {
          fail("election safety: term " + std::to_string(n.term()) + " has leaders " +
               std::to_string(it->second) + " and " + std::to_string(id));
        }
        if (inserted) {
          // Leader completeness: everything committed in earlier terms.
          for (const auto& [index, c] : committed_) {
            if (c.second < n.term()) checkLeaderHas(id, n.term(), index, c.first);
          }
        }
      }
      uint64_t commit = n.status().hardState.commit();
      uint64_t& last = lastCommit_[id];
      if (commit < last) {
        fail("commit index of node " + std::to_string(id) + " went from " + std::to_string(last) +
             " to " + std::to_string(commit));
      }
      last = commit;
    }
  }

  void checkLiveness() {
    step_ = -1;
    net_->heal();
    for (uint64_t id : ids_) {
      if (net_->sim(id).down) net_->restart(id);
    }
    net_->stabilize();
    bool proposed = false;
    uint64_t finalIndex = 0;
    for (int round = 0; round < 300; round++) {
      for (uint64_t id : ids_) net_->tick(id);
      net_->stabilize();
      checkInvariants();
      uint64_t l = net_->leader();
      if (l == kNone) continue;
      if (!proposed || finalIndex == 0) {
        if (net_->raw(l).propose("final").isOk()) {
          proposed = true;
          finalIndex = net_->raw(l).status().lastIndex;
          net_->handleReady(l);
          net_->stabilize();
        }
      }
      if (finalIndex == 0) continue;
      bool all = true;
      for (uint64_t id : ids_) all = all && net_->sim(id).appliedIndex >= finalIndex;
      if (all) {
        auto& a = net_->sim(ids_[0]);
        for (uint64_t id : ids_) {
          if (net_->sim(id).appliedIndex != a.appliedIndex ||
              net_->sim(id).stateHash != a.stateHash) {
            fail("nodes disagree after healing");
          }
        }
        return;
      }
    }
    fail("liveness: no committed final proposal on every node after healing");
  }

  std::mt19937_64 rng_;
  uint64_t seed_;
  std::ostringstream describe_;
  std::unique_ptr<Network> net_;
  std::vector<uint64_t> ids_;
  int step_ = 0;
  uint64_t nextValue_ = 0;
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>> entries_;
  std::map<uint64_t, uint64_t> appliedHash_;
  // index -> (entry term, lowest term of a node seen applying it)
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> committed_;
  std::map<uint64_t, uint64_t> leaders_;  // term -> leader
  std::map<uint64_t, uint64_t> lastCommit_;
  uint64_t restores_ = 0;
};

uint64_t envOr(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : def;
}

}  // namespace

TEST_CASE("randomized simulation keeps the Raft invariants", "[raft][simulation]") {
  uint64_t seeds = envOr("CAIRN_RAFT_SEEDS", 1000);
  uint64_t only = envOr("CAIRN_RAFT_SEED", 0);
  int steps = static_cast<int>(envOr("CAIRN_RAFT_STEPS", 3000));
  uint64_t first = only != 0 ? only : 1;
  uint64_t last = only != 0 ? only : seeds;
  uint64_t failures = 0;
  Simulation::Stats total;
  for (uint64_t seed = first; seed <= last; seed++) {
    try {
      Simulation sim(seed);
      sim.run(steps);
      auto st = sim.stats();
      total.leaderTerms += st.leaderTerms;
      total.committed += st.committed;
      total.restores += st.restores;
    } catch (const std::exception& e) {
      // Report every failing seed (replay with CAIRN_RAFT_SEED=<seed>).
      failures++;
      UNSCOPED_INFO("seed " << seed << " failed: " << e.what());
      if (failures >= 5) break;
    }
  }
  // The run must have exercised elections, commits and snapshot restores,
  // or the invariants above were checked on an idle cluster.
  uint64_t n = last - first + 1;
  INFO("leader terms " << total.leaderTerms << ", committed " << total.committed
                       << ", snapshot restores " << total.restores << " over " << n << " seeds");
  CHECK(failures == 0);
  CHECK(total.leaderTerms >= n);
  CHECK(total.committed >= 10 * n);
  if (n >= 100) CHECK(total.restores > 0);
  WARN("simulation: " << n << " seeds, " << total.leaderTerms << " leader terms, "
                      << total.committed << " committed entries, " << total.restores
                      << " snapshot restores");
}
