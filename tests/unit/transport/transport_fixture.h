// What the TcpTransport tests share: a logger that keeps what it was told,
// a member's transport on loopback with what reached it, and messages.
#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "transport/tcp_transport.h"

namespace raftpb = cairn::raftpb;

namespace cairn::testing {

class CapturingLogger final : public cairn::Logger {
 public:
  void log(cairn::LogLevel, std::string_view, std::string_view msg,
           std::string_view fields) override {
    std::lock_guard lk(mu_);
    messages_.emplace_back(msg, fields);
  }
  // A line with this message (and these words in its fields).
  bool saw(const std::string& msg, const std::string& inFields = "") {
    std::lock_guard lk(mu_);
    for (const auto& [m, f] : messages_) {
      if (m == msg && f.find(inFields) != std::string::npos) return true;
    }
    return false;
  }
  // Waits up to `timeout` for saw(msg, inFields).
  bool waitToSee(const std::string& msg, const std::string& inFields = "",
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!saw(msg, inFields)) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_;  // msg, fields
};

inline cairn::Url loopback(uint16_t port, const std::string& scheme = "http") {
  return cairn::Url{scheme, "127.0.0.1", port, scheme + "://127.0.0.1:" + std::to_string(port)};
}

// One member's transport and what reached it.
struct Member {
  // With `tls`, the member listens on https:// and its url() says so.
  // With `isRemoved`, dialers it names are answered "removed member".
  Member(uint64_t id, uint64_t cluster, uint16_t port = 0,
         std::shared_ptr<const cairn::transport::PeerTls> tls = nullptr,
         std::function<bool(uint64_t)> isRemoved = {})
      : scheme_(tls != nullptr ? "https" : "http") {
    cairn::transport::TcpTransportOptions o;
    o.localId = id;
    o.clusterId = cluster;
    o.listenUrls = {loopback(port, scheme_)};
    o.tls = std::move(tls);
    o.isRemoved = std::move(isRemoved);
    o.limits.backoffMin = std::chrono::milliseconds(10);
    o.limits.backoffMax = std::chrono::milliseconds(50);
    transport = std::make_unique<cairn::transport::TcpTransport>(o, logger);
    cairn::transport::Transport::Feedback fb;
    fb.unreachable = [this](uint64_t) { unreachable++; };
    fb.removed = [this] { toldRemoved++; };
    fb.snapshotStatus = [this](uint64_t, bool failed) {
      if (failed) snapshotsFailed++;
    };
    REQUIRE(transport
                ->start(
                    [this](raftpb::Message&& m) {
                      std::lock_guard lk(mu);
                      got.push_back(std::move(m));
                      cv.notify_all();
                    },
                    fb)
                .isOk());
    port_ = transport->boundPorts().at(0);
  }
  // Stopped first: its io thread delivers into `got` until then.
  ~Member() { transport->stop(); }
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

  // Waits until `pred(got)` holds; false after `timeout`.
  template <typename Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, [&] { return pred(got); });
  }
  std::size_t count() {
    std::lock_guard lk(mu);
    return got.size();
  }

  CapturingLogger logger;
  std::string scheme_;
  std::unique_ptr<cairn::transport::TcpTransport> transport;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<raftpb::Message> got;  // guarded by mu
  std::atomic<int> unreachable{0};
  std::atomic<int> toldRemoved{0};  // peers that said this member was removed
  std::atomic<int> snapshotsFailed{0};
  uint16_t port_ = 0;
};

inline raftpb::Message msg(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t index,
                           std::size_t payload = 0) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_index(index);
  if (payload > 0) m.add_entries()->set_data(std::string(payload, 'p'));
  return m;
}

// The receiving side learns its peer first: addPeer() is posted to each
// transport's io thread, and a hello from a member the receiver does not know
// yet is refused, which drops what the sender had queued (as a broken stream
// does; raft sends again, a test would wait forever). Posted before `a` can
// dial, b's addPeer runs before b's io thread sees that connection.
inline void link(Member& a, uint64_t aId, Member& b, uint64_t bId) {
  b.transport->addPeer(aId, {a.url()});
  a.transport->addPeer(bId, {b.url()});
}

}  // namespace cairn::testing
