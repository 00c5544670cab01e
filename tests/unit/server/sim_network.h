// SimNetwork: an in-process network for members started in one test, behind
// the transport seam. One delivery thread hands each message to its
// addressee in send order; a member can be cut off (isolate) and joined
// again (heal), both ways at once, which is how a partition looks to raft.
// A MsgSnap carries the sender's backend state as the TCP transport does:
// exported through the sender's SnapshotIo into the addressee's state file
// (SnapshotFileWriter, length and CRC checked) before the addressee's raft
// gets it, and the outcome is reported to the sender's raft; one cut off
// by a partition is reported failed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "cairn/storage_stream.h"
#include "transport/snapshot_file.h"
#include "transport/transport.h"

namespace cairn::server::testing {

class SimNetwork {
 public:
  SimNetwork() : thread_([this] { loop(); }) {}
  ~SimNetwork() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  std::unique_ptr<transport::Transport> transportFor(uint64_t id) {
    return std::make_unique<Endpoint>(*this, id);
  }
  void isolate(uint64_t id) {
    std::lock_guard lk(mu_);
    isolated_.insert(id);
  }
  void heal() {
    std::lock_guard lk(mu_);
    isolated_.clear();
  }

 private:
  class Endpoint final : public transport::Transport {
   public:
    Endpoint(SimNetwork& net, uint64_t id) : net_(net), id_(id) {}
    ~Endpoint() override { stop(); }
    Status start(Deliver deliver, Feedback feedback) override {
      std::lock_guard lk(deliverMu_);
      deliver_ = std::move(deliver);
      feedback_ = std::move(feedback);
      std::lock_guard nlk(net_.mu_);
      net_.endpoints_[id_] = this;
      return Status::ok();
    }
    void send(std::vector<raftpb::Message>&& messages) override {
      std::lock_guard lk(net_.mu_);
      for (auto& m : messages) net_.queue_.push_back(std::move(m));
      net_.cv_.notify_one();
    }
    void setSnapshotIo(transport::SnapshotIo io) override { snapshotIo_ = std::move(io); }
    void setPromoteHandler(transport::PromoteHandler handler) override {
      promote_ = std::move(handler);
    }
    Status askPromote(uint64_t peer, const std::string& url, uint64_t memberId,
                      std::chrono::milliseconds timeout, std::string* response) override {
      return net_.askPromote(id_, peer, url, memberId, timeout, response);
    }
    void addPeer(uint64_t, const std::vector<std::string>&) override {}
    void removePeer(uint64_t) override {}
    void stop() override {
      {
        std::lock_guard nlk(net_.mu_);
        net_.endpoints_.erase(id_);
      }
      // Waits for a delivery in progress.
      std::lock_guard lk(deliverMu_);
      deliver_ = nullptr;
    }
    SimNetwork& net_;
    const uint64_t id_;
    std::mutex deliverMu_;               // held while delivering; stop() waits on it
    Deliver deliver_;                    // guarded by deliverMu_
    Feedback feedback_;                  // guarded by deliverMu_
    transport::SnapshotIo snapshotIo_;   // set before start()
    transport::PromoteHandler promote_;  // set before start()
  };

  // A forwarded MemberPromote: `peer`'s handler called directly, unless a
  // partition cuts the two apart or `peer` is not running.
  Status askPromote(uint64_t from, uint64_t peer, const std::string& url, uint64_t memberId,
                    std::chrono::milliseconds timeout, std::string* response) {
    transport::PromoteHandler handler;
    {
      std::lock_guard lk(mu_);
      auto it = endpoints_.find(peer);
      if (it != endpoints_.end() && isolated_.count(from) == 0 && isolated_.count(peer) == 0) {
        handler = it->second->promote_;
      }
    }
    if (!handler) return Status(StatusCode::Unavailable, url + ": connection refused");
    auto answer = std::make_shared<std::promise<std::pair<Status, std::string>>>();
    auto got = answer->get_future();
    handler(memberId, [answer](const Status& st, std::string r) {
      answer->set_value({st, std::move(r)});
    });
    if (got.wait_for(timeout) != std::future_status::ready) {
      return Status(StatusCode::Unavailable, url + ": no answer in time");
    }
    auto [st, r] = got.get();
    if (st) *response = std::move(r);
    return st;
  }

  // Carries a MsgSnap from `from` to `to` (both held by the caller, so
  // neither stops meanwhile).
  static void transferSnapshot(Endpoint& from, Endpoint& to, raftpb::Message&& m) {
    const uint64_t peer = m.to();
    m.mutable_snapshot()->clear_data();
    transport::SnapshotFileWriter file(to.snapshotIo_.dir, m.snapshot().metadata().term(),
                                       m.snapshot().metadata().index());
    storage::StreamCrc crc;
    uint64_t bytes = 0;
    Status st = file.open();
    if (st) {
      st = from.snapshotIo_.exportState([&](std::string_view chunk) {
        crc.process_bytes(chunk.data(), chunk.size());
        bytes += chunk.size();
        return file.append(chunk);
      });
    }
    if (st) st = file.commit(bytes, crc.checksum());
    if (st && to.deliver_) to.deliver_(std::move(m));
    if (from.feedback_.snapshotStatus) from.feedback_.snapshotStatus(peer, !st);
  }

  void loop() {
    std::unique_lock lk(mu_);
    for (;;) {
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      raftpb::Message m = std::move(queue_.front());
      queue_.pop_front();
      auto it = endpoints_.find(m.to());
      auto fromIt = endpoints_.find(m.from());
      const bool cut =
          isolated_.count(m.from()) != 0 || isolated_.count(m.to()) != 0 || it == endpoints_.end();
      if (m.type() == raftpb::MSG_SNAP && fromIt != endpoints_.end()) {
        Endpoint* from = fromIt->second;
        Endpoint* to = cut ? nullptr : it->second;
        // Both held, in a fixed order (two snapshots may cross).
        std::unique_lock flk(from->deliverMu_, std::defer_lock);
        std::unique_lock<std::mutex> tlk;
        if (to != nullptr) {
          tlk = std::unique_lock(to->deliverMu_, std::defer_lock);
          std::lock(flk, tlk);
        } else {
          flk.lock();
        }
        lk.unlock();
        if (to != nullptr) {
          transferSnapshot(*from, *to, std::move(m));
        } else if (from->feedback_.snapshotStatus) {
          from->feedback_.snapshotStatus(m.to(), true);
        }
        if (tlk.owns_lock()) tlk.unlock();
        flk.unlock();
        lk.lock();
        continue;
      }
      if (cut) continue;
      Endpoint* to = it->second;
      // Delivered without the network lock (the addressee may send at
      // once) but under its own, so it cannot stop meanwhile.
      std::unique_lock dlk(to->deliverMu_);
      lk.unlock();
      if (to->deliver_) to->deliver_(std::move(m));
      dlk.unlock();
      lk.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<raftpb::Message> queue_;        // guarded by mu_
  std::map<uint64_t, Endpoint*> endpoints_;  // guarded by mu_
  std::set<uint64_t> isolated_;              // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::thread thread_;
};

}  // namespace cairn::server::testing
