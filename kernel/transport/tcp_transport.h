// TcpTransport: raft messages between the members of a cluster over TCP
// (Boost.Asio), the Transport of every member of a multi-member cluster.
//
// Per peer two persistent outgoing connections (PeerStream), one per Lane,
// so heartbeats and votes never wait behind a large append; each batches
// whatever raft queued into one write and redials with backoff. Incoming
// connections (InboundSession) are accepted on --listen-peer-urls and
// checked by their hello: same cluster id, addressed to this member, from a
// member this transport knows. https:// listen and peer URLs speak TLS
// (PeerTls: etcd's --peer-* TLS flags) before the hello. A MsgSnap goes out
// with the backend's state on a connection of its own (SnapshotSender,
// thread "cairn-snap-send"), and an incoming snapshot connection is received
// into its state file (SnapshotReceiver, thread "cairn-snap-recv"); neither
// blocks the lanes. Over https:// both are TLS, checked as the lanes are.
//
// Threads: one io thread ("cairn-peer") runs every socket, timer and
// delivery of the lanes; send(), addPeer() and removePeer() post to it from
// any thread. peers_ and sessions_ are touched on the io thread only. A
// thread per snapshot in flight, each joined by stop().
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cairn/logger.h"
#include "cairn/settings.h"
#include "hashkv_query.h"
#include "inbound_session.h"
#include "peer_metrics.h"
#include "peer_stream.h"
#include "peer_tls.h"
#include "promote_query.h"
#include "snapshot_receiver.h"
#include "snapshot_sender.h"
#include "transport.h"

namespace cairn::transport {

struct TcpTransportOptions {
  // Where etcd's peer metrics (etcd_network_*) go; null: none kept.
  Metrics* metrics = nullptr;
  uint64_t localId = 0;
  uint64_t clusterId = 0;
  std::vector<Url> listenUrls;  // --listen-peer-urls
  StreamLimits limits;
  // Largest frame accepted from a peer: a MsgApp of raft's max message size
  // can still carry one entry of --max-request-bytes and its envelope.
  std::size_t maxFrameBytes = 64u << 20;
  // The answer to a cluster query (isClusterQuery): the members as this
  // member knows them. Called on the io thread; empty refuses the query.
  std::function<std::string()> describeCluster;
  // The answer to a peer's HashKV request (hashkv_query.h), asked by its
  // corruption checks; empty refuses them.
  HashKvHandler hashKv;
  // Whether a member id was removed from the cluster: its hello is answered
  // RemovedMember, so it stops (etcd answers its streams 410 Gone). Called
  // on the io thread; null: nobody is refused for that.
  std::function<bool(uint64_t id)> isRemoved;
  // TLS for https:// URLs (listening and dialing); null: http:// only.
  std::shared_ptr<const PeerTls> tls;
  SnapshotSendOptions snapshot;
  // Longest wait for one read or write while receiving a snapshot.
  std::chrono::milliseconds snapshotReceiveTimeout{30000};
};

class TcpTransport final : public Transport {
 public:
  TcpTransport(TcpTransportOptions options, Logger& logger);
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Binds every listen URL (an error names the address, as Go's net.Listen
  // does) and starts the io thread.
  Status start(Deliver deliver, Feedback feedback) override;
  void send(std::vector<raftpb::Message>&& messages) override;
  void addPeer(uint64_t id, const std::vector<std::string>& peerUrls) override;
  void removePeer(uint64_t id) override;
  void stop() override;
  // The later of the two lanes' connection times: both must be up.
  std::chrono::steady_clock::time_point activeSince(uint64_t id) const override;
  void setSnapshotIo(SnapshotIo io) override { snapshotIo_ = std::move(io); }
  void setPromoteHandler(PromoteHandler handler) override { promote_ = std::move(handler); }
  // Over a connection of its own (promote_query.h).
  Status askPromote(uint64_t peer, const std::string& url, uint64_t memberId,
                    std::chrono::milliseconds timeout, std::string* response) override;

  // The ports actually bound (tests listen on port 0).
  std::vector<uint16_t> boundPorts() const { return boundPorts_; }

 private:
  struct Peer {
    std::vector<Url> urls;
    std::shared_ptr<PeerStream> lanes[kLaneCount];
  };

  void accept(boost::asio::ip::tcp::acceptor& acceptor, bool secure);
  HelloReply acceptHello(const Hello& hello);
  void addPeerOnIo(uint64_t id, std::vector<Url> urls);
  void dispatch(std::vector<raftpb::Message>& messages);
  void closeAllOnIo();
  // Snapshots (snapshot_transfer.cpp): a sender or receiver thread per
  // snapshot, tracked so that stop() can cancel and join them.
  struct SnapshotJob {
    std::unique_ptr<SnapshotSender> sender;      // either this
    std::unique_ptr<SnapshotReceiver> receiver;  // or this
    std::thread thread;
    std::atomic<bool> done{false};  // set by the job's thread as it ends
  };
  void sendSnapshotOnIo(raftpb::Message&& m);
  void receiveSnapshot(const Hello& hello, std::unique_ptr<SnapshotChannel> channel);
  void startSnapshotJob(std::unique_ptr<SnapshotJob> job);
  void stopSnapshotJobs();

  const TcpTransportOptions options_;
  std::unique_ptr<PeerMetrics> peerMetrics_;  // null without options_.metrics; thread-safe
  Logger& logger_;
  Deliver deliver_;    // set by start(), read on the io thread
  Feedback feedback_;  // set by start(), called on the io and raft threads

  mutable boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;  // io thread after start
  std::vector<bool> acceptorSecure_;  // per acceptor: TLS (https://); written by start()
  std::vector<uint16_t> boundPorts_;  // written by start()
  std::map<uint64_t, Peer> peers_;    // io thread
  std::set<std::shared_ptr<InboundSession>> sessions_;  // io thread
  SnapshotIo snapshotIo_;                               // set before start()
  PromoteHandler promote_;                              // set before start()
  std::mutex snapshotMu_;
  std::list<std::unique_ptr<SnapshotJob>> snapshotJobs_;  // guarded by snapshotMu_
  bool snapshotsStopped_ = false;                         // guarded by snapshotMu_
  bool started_ = false;                                  // start()/stop() caller
  bool stopped_ = false;                                  // start()/stop() caller
  std::thread thread_;
};

}  // namespace cairn::transport
