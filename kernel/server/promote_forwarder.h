// PromoteForwarder: a MemberPromote asked on a follower is answered by the
// leader, which alone knows whether the learner caught up (etcd's
// EtcdServer.PromoteMember forwarding to the leader's
// /members/promote/<id>). The request travels over the peer transport
// (Transport::askPromote, a peer query of its own); as etcd's follower
// does, it waits for a known leader (an election timeout at a time), asks
// each of the leader's peer URLs, returns the leader's success or its
// "learner not ready", "member not found" and "not a learner" errors as
// they are, and asks again on anything else (no answer, the leader lost
// its leadership, a leader-side refusal) until etcd's request timeout:
// then "etcdserver: request timed out" ("etcdserver: no leader" when no
// leader was ever known).
//
// Threads: forward() from any thread; the requests are asked one after the
// other on the "cairn-promote" thread (started at the first), where `done`
// runs. queue_, stopping_ and thread_ under mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cairn/status.h"
#include "transport/transport.h"

namespace cairn::server {

class PromoteForwarder {
 public:
  struct Parts {
    std::function<uint64_t()> leader;  // 0: none known
    // A member's peer URLs, as the member records hold them.
    std::function<std::vector<std::string>(uint64_t id)> peerUrlsOf;
    transport::Transport* transport = nullptr;  // asks; outlives the forwarder
    std::chrono::milliseconds requestTimeout{7000};
    std::chrono::milliseconds electionTimeout{1000};
    // Between two rounds of questions that got no usable answer.
    std::chrono::milliseconds retryInterval{50};
  };
  // The leader's outcome and, on success, its serialized
  // MemberPromoteResponse.
  using Done = std::function<void(const Status&, std::string response)>;

  explicit PromoteForwarder(Parts parts) : parts_(std::move(parts)) {}
  ~PromoteForwarder() { stop(); }
  PromoteForwarder(const PromoteForwarder&) = delete;
  PromoteForwarder& operator=(const PromoteForwarder&) = delete;

  void forward(uint64_t memberId, Done done);
  // The request being asked ends with its question (bounded by the request
  // timeout); the queued ones with Error::Stopped. Joins the thread.
  void stop();

  // One request, blocking (the thread's work; tests call it directly).
  Status forwardNow(uint64_t memberId, std::string* response);

 private:
  void loop();
  // Sleeps up to `d` (less when stopping); false once stopping.
  bool pause(std::chrono::milliseconds d);

  const Parts parts_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<uint64_t, Done>> queue_;  // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::thread thread_;                           // guarded by mu_ (started by forward())
};

}  // namespace cairn::server
