// Reads: where reads run. Serializable ones go straight to the read pool;
// linearizable ones go through a ReadIndex round of the raft node, then wait
// in the ReadGate until the apply loop has applied the confirmed index, then
// run on the read pool. Reads never run on the raft or apply loops and never
// wait for a backend commit.
//
// Threads: serializable()/linearizable() from any thread; confirmed() from
// the raft loop; onApplied() from the apply loop; refuse()/stop() from the
// server's stop. The pool and gate are internally synchronised.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "raft_node.h"
#include "read_gate.h"

namespace cairn::server {

class Reads {
 public:
  Reads(RaftNode& raft, std::size_t threads, uint64_t appliedIndex);
  ~Reads() { stop(); }
  Reads(const Reads&) = delete;
  Reads& operator=(const Reads&) = delete;

  // Runs `read` on the read pool against the local state.
  void serializable(ReadGate::Read read);
  // Runs `read` on the read pool once a ReadIndex round confirmed
  // leadership and the apply loop caught up; or with an error.
  void linearizable(ReadGate::Read read);

  void confirmed(uint64_t index, std::vector<ReadGate::Read>&& reads) {
    gate_.add(index, std::move(reads));
  }
  void onApplied(uint64_t index) { gate_.onApplied(index); }

  // New reads fail with Error::Stopped from now on.
  void refuse() { refused_ = true; }
  // Fails the reads held by the gate with Error::Stopped and joins the pool.
  void stop();

 private:
  void dispatch(std::vector<ReadGate::Read>&& reads);

  RaftNode& raft_;
  boost::asio::thread_pool pool_;
  ReadGate gate_;
  std::atomic<bool> refused_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace cairn::server
