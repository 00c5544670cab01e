#include "tcp_transport.h"

#include <pthread.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <future>

#include "config/url.h"
#include "peer_ids.h"
#include "peer_listener.h"

namespace cairn::transport {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr const char* kCaller = "rafthttp/transport.go";

std::vector<Url> parseUrls(const std::vector<std::string>& texts) {
  std::vector<Url> out;
  for (const auto& t : texts) {
    Url u;
    if (config::parseUrl(t, &u)) out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

TcpTransport::TcpTransport(TcpTransportOptions options, Logger& logger)
    : options_(std::move(options)),
      peerMetrics_(options_.metrics != nullptr
                       ? std::make_unique<PeerMetrics>(*options_.metrics, options_.localId)
                       : nullptr),
      logger_(logger),
      work_(asio::make_work_guard(io_)) {}

TcpTransport::~TcpTransport() {
  stop();
}

Status TcpTransport::start(Deliver deliver, Feedback feedback) {
  if (peerMetrics_ != nullptr) {
    // Every message a peer sent passes here: its bytes (with the frame
    // header) and the heartbeat answers that close a round trip.
    deliver_ = [metrics = peerMetrics_.get(), deliver = std::move(deliver)](raftpb::Message&& m) {
      metrics->received(m.from(), m.ByteSizeLong() + kFrameHeaderBytes);
      metrics->onReceive(m);
      deliver(std::move(m));
    };
  } else {
    deliver_ = std::move(deliver);
  }
  feedback_ = std::move(feedback);
  for (const Url& url : options_.listenUrls) {
    std::unique_ptr<tcp::acceptor> acceptor;
    if (Status st = listenPeerUrl(io_, url, options_.tls.get(), &acceptor); !st) return st;
    const bool secure = url.scheme == "https";
    boundPorts_.push_back(acceptor->local_endpoint().port());
    acceptors_.push_back(std::move(acceptor));
    acceptorSecure_.push_back(secure);
  }
  for (std::size_t i = 0; i < acceptors_.size(); ++i) accept(*acceptors_[i], acceptorSecure_[i]);
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cairn-peer");
    io_.run();
  });
  return Status::ok();
}

void TcpTransport::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopSnapshotJobs();
  std::promise<void> closed;
  auto done = closed.get_future();
  asio::post(io_, [this, &closed] {
    closeAllOnIo();
    closed.set_value();
  });
  done.wait();
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void TcpTransport::closeAllOnIo() {
  boost::system::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
  for (auto& [id, peer] : peers_) {
    for (auto& lane : peer.lanes) lane->close();
  }
  peers_.clear();
  // Closing ends each session, which erases it from sessions_.
  auto sessions = sessions_;
  for (const auto& s : sessions) s->close();
  sessions_.clear();
}

void TcpTransport::accept(tcp::acceptor& acceptor, bool secure) {
  acceptor.async_accept(
      [this, &acceptor, secure](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec) {
          const PeerTls* tls = secure ? options_.tls.get() : nullptr;
          auto session = std::make_shared<InboundSession>(
              tls != nullptr ? PeerSocket(std::move(socket), tls->serverContext())
                             : PeerSocket(std::move(socket)),
              tls, logger_, options_.maxFrameBytes,
              [this](const Hello& hello) { return acceptHello(hello); }, deliver_,
              [this](InboundSession* s) {
                for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
                  if (it->get() == s) {
                    sessions_.erase(it);
                    break;
                  }
                }
              });
          session->onSnapshotConnection(
              [this](const Hello& hello, std::unique_ptr<SnapshotChannel> channel) {
                receiveSnapshot(hello, std::move(channel));
              });
          sessions_.insert(session);
          session->start();
        }
        accept(acceptor, secure);
      });
}

HelloReply TcpTransport::acceptHello(const Hello& hello) {
  HelloReply reply;
  reply.clusterId = options_.clusterId;
  if (isClusterQuery(hello)) {
    reply.answer = options_.describeCluster ? options_.describeCluster() : std::string();
    reply.status = reply.answer.empty() ? HelloStatus::UnknownMember : HelloStatus::Accepted;
    return reply;
  }
  if (isPeerQuery(hello) && hello.clusterId == options_.clusterId &&
      (options_.hashKv || promote_)) {
    reply.status = HelloStatus::Accepted;
    reply.serveQuery = [hashKv = options_.hashKv, promote = promote_](
                           const raftpb::Message& request,
                           std::function<void(raftpb::Message &&)> answer) {
      if (request.type() == kPromoteRequest) {
        servePromote(request, promote, std::move(answer));
      } else {
        serveHashKv(request, hashKv, std::move(answer));
      }
    };
    return reply;
  }
  if (hello.clusterId != options_.clusterId) {
    logger_.warn("rafthttp/http.go", "request cluster ID mismatch",
                 jsonField("local-member-id", idHex(options_.localId)) + "," +
                     jsonField("local-member-cluster-id", idHex(options_.clusterId)) + "," +
                     jsonField("remote-peer-id", idHex(hello.from)) + "," +
                     jsonField("remote-peer-cluster-id", idHex(hello.clusterId)));
    reply.status = HelloStatus::ClusterMismatch;
    return reply;
  }
  if (options_.isRemoved && options_.isRemoved(hello.from)) {
    logger_.warn("rafthttp/http.go", "rejected stream from remote peer because it was removed",
                 jsonField("local-member-id", idHex(options_.localId)) + "," +
                     jsonField("remote-peer-id-from", idHex(hello.from)));
    reply.status = HelloStatus::RemovedMember;
    return reply;
  }
  if (hello.to != options_.localId || peers_.count(hello.from) == 0) {
    reply.status = HelloStatus::UnknownMember;
    return reply;
  }
  reply.status = HelloStatus::Accepted;
  return reply;
}

void TcpTransport::send(std::vector<raftpb::Message>&& messages) {
  asio::post(io_, [this, out = std::move(messages)]() mutable { dispatch(out); });
}

void TcpTransport::dispatch(std::vector<raftpb::Message>& messages) {
  for (auto& m : messages) {
    if (m.type() == raftpb::MSG_SNAP) {
      sendSnapshotOnIo(std::move(m));
      continue;
    }
    auto it = peers_.find(m.to());
    if (it == peers_.end()) continue;  // removed, or never known
    if (peerMetrics_ != nullptr) peerMetrics_->onSend(m);
    it->second.lanes[static_cast<int>(laneOf(m))]->enqueue(std::move(m));
  }
}

Status TcpTransport::askPromote(uint64_t /*peer*/, const std::string& url, uint64_t memberId,
                                std::chrono::milliseconds timeout, std::string* response) {
  Url parsed;
  if (Status why = config::parseUrl(url, &parsed); !why) {
    return Status(StatusCode::Unavailable, url + ": " + why.message());
  }
  return queryPromote(parsed, options_.tls.get(), timeout, options_.clusterId, memberId, response);
}

void TcpTransport::addPeer(uint64_t id, const std::vector<std::string>& peerUrls) {
  if (id == options_.localId) return;
  asio::post(
      io_, [this, id, urls = parseUrls(peerUrls)]() mutable { addPeerOnIo(id, std::move(urls)); });
}

void TcpTransport::addPeerOnIo(uint64_t id, std::vector<Url> urls) {
  auto it = peers_.find(id);
  if (it != peers_.end()) {
    it->second.urls = urls;
    for (auto& lane : it->second.lanes) lane->setUrls(urls);
    return;
  }
  Peer& peer = peers_[id];
  peer.urls = urls;
  for (int i = 0; i < kLaneCount; ++i) {
    Hello hello{options_.clusterId, options_.localId, id, static_cast<Lane>(i)};
    peer.lanes[i] =
        std::make_shared<PeerStream>(io_, logger_, hello, urls, options_.limits, [this, id] {
          if (feedback_.unreachable) feedback_.unreachable(id);
        });
    peer.lanes[i]->setMetrics(peerMetrics_.get());
    peer.lanes[i]->setTls(options_.tls.get());
    peer.lanes[i]->setOnRemoved([this] {
      if (feedback_.removed) feedback_.removed();
    });
    peer.lanes[i]->start();
  }
  logger_.info(kCaller, "added remote peer",
               jsonField("local-member-id", idHex(options_.localId)) + "," +
                   jsonField("remote-peer-id", idHex(id)));
}

std::chrono::steady_clock::time_point TcpTransport::activeSince(uint64_t id) const {
  using TimePoint = std::chrono::steady_clock::time_point;
  if (!started_ || stopped_) return {};
  // peers_ belongs to the io thread: ask it.
  auto answer = std::make_shared<std::promise<TimePoint>>();
  auto result = answer->get_future();
  asio::post(io_, [this, id, answer] {
    TimePoint since{};
    auto it = peers_.find(id);
    if (it != peers_.end()) {
      for (const auto& lane : it->second.lanes) {
        const TimePoint t = lane->connectedSince();
        if (t == TimePoint{}) {
          since = {};
          break;
        }
        since = std::max(since, t);
      }
    }
    answer->set_value(since);
  });
  // A stopping transport may never run the question.
  if (result.wait_for(std::chrono::seconds(1)) != std::future_status::ready) return {};
  return result.get();
}

void TcpTransport::removePeer(uint64_t id) {
  asio::post(io_, [this, id] {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    for (auto& lane : it->second.lanes) lane->close();
    peers_.erase(it);
    // Its connections to this member end too (etcd stops both directions of
    // a removed peer's streams): redialing, it is told it was removed.
    // Copied first: closing may end a session, which erases it from the set.
    const std::vector<std::shared_ptr<InboundSession>> sessions(sessions_.begin(), sessions_.end());
    for (const auto& session : sessions) {
      if (session->peerId() == id) session->close();
    }
    logger_.info(kCaller, "removed remote peer",
                 jsonField("local-member-id", idHex(options_.localId)) + "," +
                     jsonField("removed-remote-peer-id", idHex(id)));
  });
}

}  // namespace cairn::transport
