// Snapshots between two TcpTransports over loopback: the MsgSnap and the
// backend state it carries arrive whole in the follower's state file
// (length and CRC-32C checked) before raft gets the message, and the leader
// hears it succeeded; a stream that breaks (the export failing, the peer
// gone) is reported failed and leaves nothing behind; the state is streamed
// (the follower's file grows while the leader is still exporting), not
// gathered in memory on either side. Between https:// peers the stream is
// TLS, with the certificate checks of every peer connection.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cairn/storage_stream.h"
#include "test_pki.h"
#include "transport/snapshot_file.h"
#include "transport/tcp_transport.h"

using namespace cairn::transport;
namespace raftpb = cairn::raftpb;
namespace fs = std::filesystem;
using cairn::Status;
using cairn::StatusCode;
using namespace std::chrono_literals;

namespace {

class QuietLogger final : public cairn::Logger {
 public:
  void log(cairn::LogLevel, std::string_view, std::string_view msg, std::string_view) override {
    std::lock_guard lk(mu);
    messages.emplace_back(msg);
  }
  bool saw(const std::string& m) {
    std::lock_guard lk(mu);
    return std::find(messages.begin(), messages.end(), m) != messages.end();
  }
  std::mutex mu;
  std::vector<std::string> messages;
};

// The chunk-th 64 KiB chunk of a generated state (never held whole).
std::string chunkOf(std::size_t i) {
  std::string c(64 * 1024, '\0');
  for (std::size_t j = 0; j < c.size(); j += 8) c[j] = static_cast<char>((i * 131 + j) & 0xff);
  return c;
}

// `tls`: listen and dial https:// with it (null: http://).
struct Member {
  Member(uint64_t id, SnapshotIo io, std::shared_ptr<PeerTls> tls = nullptr) : id(id) {
    dir = fs::temp_directory_path() /
          ("cairn-snapshot-transport-" + std::to_string(::getpid()) + "-" + std::to_string(id));
    fs::remove_all(dir);
    fs::create_directories(dir);
    io.dir = dir.string();
    TcpTransportOptions o;
    o.localId = id;
    o.clusterId = 7;
    const std::string scheme = tls ? "https" : "http";
    o.listenUrls = {cairn::Url{scheme, "127.0.0.1", 0, scheme + "://127.0.0.1:0"}};
    o.tls = std::move(tls);
    o.snapshot.ioTimeout = 2000ms;
    o.snapshotReceiveTimeout = 2000ms;
    transport = std::make_unique<TcpTransport>(o, logger);
    transport->setSnapshotIo(std::move(io));
    Transport::Feedback fb;
    fb.unreachable = [this](uint64_t) { unreachable++; };
    fb.snapshotStatus = [this](uint64_t, bool failed) {
      std::lock_guard lk(mu);
      (failed ? failedReports : okReports)++;
      cv.notify_all();
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
    url = scheme + "://127.0.0.1:" + std::to_string(transport->boundPorts().at(0));
  }
  ~Member() {
    transport->stop();
    fs::remove_all(dir);
  }
  template <typename Pred>
  bool waitFor(Pred pred, std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, pred);
  }

  const uint64_t id;
  fs::path dir;
  std::string url;
  QuietLogger logger;
  std::unique_ptr<TcpTransport> transport;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<raftpb::Message> got;  // guarded by mu
  int okReports = 0;                 // guarded by mu
  int failedReports = 0;             // guarded by mu
  std::atomic<int> unreachable{0};
};

raftpb::Message snapMessage(uint64_t from, uint64_t to, uint64_t index) {
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAP);
  m.set_from(from);
  m.set_to(to);
  m.set_term(3);
  m.mutable_snapshot()->mutable_metadata()->set_index(index);
  m.mutable_snapshot()->mutable_metadata()->set_term(2);
  m.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(from);
  m.mutable_snapshot()->mutable_metadata()->mutable_conf_state()->add_voters(to);
  // The memory backend's snapshots carry their state here; the stream
  // replaces it.
  m.mutable_snapshot()->set_data(std::string(1000, 'd'));
  return m;
}

std::shared_ptr<PeerTls> peerTls(const cairn::testing::TestPki& pki,
                                 const cairn::testing::TestCertificate& cert) {
  PeerTlsOptions o;
  o.certFile = cert.certFile;
  o.keyFile = cert.keyFile;
  o.trustedCaFile = pki.caFile();
  o.clientCertAuth = true;
  QuietLogger logger;
  std::shared_ptr<PeerTls> out;
  REQUIRE(PeerTls::create(std::move(o), logger, &out).isOk());
  return out;
}

// A state of `chunks` generated chunks; `crc` gets their checksum.
SnapshotIo generatedState(std::size_t chunks, cairn::storage::StreamCrc* crc) {
  SnapshotIo io;
  io.exportState = [chunks, crc](const std::function<Status(std::string_view)>& sink) {
    for (std::size_t i = 0; i < chunks; ++i) {
      const std::string c = chunkOf(i);
      crc->process_bytes(c.data(), c.size());
      if (Status st = sink(c); !st) return st;
    }
    return Status::ok();
  };
  return io;
}

void link(Member& a, Member& b) {
  a.transport->addPeer(b.id, {b.url});
  b.transport->addPeer(a.id, {a.url});
  std::this_thread::sleep_for(50ms);  // both io threads ran their addPeer
}

}  // namespace

TEST_CASE("a snapshot and its state arrive whole, streamed, and the sender hears it") {
  constexpr std::size_t kChunks = 768;  // 48 MiB
  std::string partPath;
  std::atomic<int64_t> smallestLead{INT64_MAX};
  cairn::storage::StreamCrc crc;
  SnapshotIo leaderIo;
  leaderIo.exportState = [&](const std::function<Status(std::string_view)>& sink) {
    for (std::size_t i = 0; i < kChunks; ++i) {
      const std::string c = chunkOf(i);
      crc.process_bytes(c.data(), c.size());
      if (Status st = sink(c); !st) return st;
      if (i == 512) {
        // 32 MiB exported: all but what the sockets buffer is already in
        // the follower's file, so nobody holds the state in memory.
        struct stat sb {};
        const int64_t onDisk = ::stat(partPath.c_str(), &sb) == 0 ? sb.st_size : 0;
        smallestLead = static_cast<int64_t>((i + 1) * c.size()) - onDisk;
      }
    }
    return Status::ok();
  };
  Member a(1, leaderIo), b(2, SnapshotIo{});
  partPath = snapshotStatePath(b.dir.string(), 2, 900) + ".part";
  link(a, b);
  a.transport->send({snapMessage(1, 2, 900)});

  REQUIRE(a.waitFor([&] { return a.okReports + a.failedReports > 0; }));
  REQUIRE(a.okReports == 1);
  REQUIRE(b.waitFor([&] { return !b.got.empty(); }));
  REQUIRE(b.got[0].type() == raftpb::MSG_SNAP);
  REQUIRE(b.got[0].snapshot().metadata().index() == 900);
  REQUIRE(b.got[0].snapshot().data().empty());
  REQUIRE(smallestLead.load() < 16 * 1024 * 1024);

  const std::string path = snapshotStatePath(b.dir.string(), 2, 900);
  REQUIRE(fs::file_size(path) == kChunks * 64 * 1024);
  REQUIRE_FALSE(fs::exists(partPath));
  SnapshotFileReader reader(path);
  REQUIRE(reader.open().isOk());
  cairn::storage::StreamCrc back;
  std::string chunk;
  while (reader.next(chunk)) back.process_bytes(chunk.data(), chunk.size());
  REQUIRE(reader.status().isOk());
  REQUIRE(back.checksum() == crc.checksum());
  REQUIRE(a.logger.saw("sent database snapshot"));
  REQUIRE(b.logger.saw("received and saved database snapshot"));
}

TEST_CASE("a snapshot whose stream breaks is reported failed and leaves nothing behind") {
  SnapshotIo failing;
  failing.exportState = [](const std::function<Status(std::string_view)>& sink) {
    for (int i = 0; i < 40; ++i) {
      if (Status st = sink(chunkOf(i)); !st) return st;
    }
    return Status(StatusCode::Internal, "export failed");
  };
  Member a(1, failing), b(2, SnapshotIo{});
  link(a, b);
  a.transport->send({snapMessage(1, 2, 77)});
  REQUIRE(a.waitFor([&] { return a.failedReports > 0; }));
  REQUIRE(a.okReports == 0);
  REQUIRE(a.unreachable.load() >= 1);
  REQUIRE(a.logger.saw("failed to send database snapshot"));
  // The follower dropped it: no message for raft, no file.
  for (int i = 0; i < 500 && !b.logger.saw("failed to save incoming database snapshot"); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(b.logger.saw("failed to save incoming database snapshot"));
  REQUIRE(b.got.empty());
  REQUIRE(fs::is_empty(b.dir));
}

TEST_CASE("a snapshot to a peer that is not there is reported failed") {
  SnapshotIo io;
  io.exportState = [](const std::function<Status(std::string_view)>& sink) {
    return sink("state");
  };
  Member a(1, io);
  uint16_t deadPort = 0;
  {
    Member gone(2, SnapshotIo{});
    deadPort = static_cast<uint16_t>(std::stoi(gone.url.substr(gone.url.rfind(':') + 1)));
  }
  a.transport->addPeer(2, {"http://127.0.0.1:" + std::to_string(deadPort)});
  std::this_thread::sleep_for(20ms);
  a.transport->send({snapMessage(1, 2, 5)});
  REQUIRE(a.waitFor([&] { return a.failedReports > 0; }));
  REQUIRE(a.okReports == 0);
}

TEST_CASE("a state file whose length or checksum does not match is refused") {
  const fs::path dir =
      fs::temp_directory_path() / ("cairn-snapshot-file-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    SnapshotFileWriter w(dir.string(), 1, 10);
    REQUIRE(w.open().isOk());
    REQUIRE(w.append("abc").isOk());
    cairn::storage::StreamCrc crc;
    crc.process_bytes("abc", 3);
    REQUIRE(w.commit(4, crc.checksum()).code() == StatusCode::DataLoss);
  }
  {
    SnapshotFileWriter w(dir.string(), 1, 11);
    REQUIRE(w.open().isOk());
    REQUIRE(w.append("abc").isOk());
    REQUIRE(w.commit(3, 12345).code() == StatusCode::DataLoss);
  }
  REQUIRE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST_CASE("a snapshot to an https:// peer streams over TLS, both certificates checked") {
  cairn::testing::TestPki pki;
  constexpr std::size_t kChunks = 160;  // 10 MiB: many TLS records, past the socket buffers
  cairn::storage::StreamCrc crc;
  Member a(1, generatedState(kChunks, &crc), peerTls(pki, pki.issue("m1", "m1", {"127.0.0.1"})));
  Member b(2, SnapshotIo{}, peerTls(pki, pki.issue("m2", "m2", {"127.0.0.1"})));
  REQUIRE(b.url.rfind("https://", 0) == 0);
  link(a, b);
  a.transport->send({snapMessage(1, 2, 901)});

  REQUIRE(a.waitFor([&] { return a.okReports + a.failedReports > 0; }));
  REQUIRE(a.okReports == 1);
  REQUIRE(b.waitFor([&] { return !b.got.empty(); }));
  REQUIRE(b.got[0].snapshot().metadata().index() == 901);
  const std::string path = snapshotStatePath(b.dir.string(), 2, 901);
  REQUIRE(fs::file_size(path) == kChunks * 64 * 1024);
  SnapshotFileReader reader(path);
  REQUIRE(reader.open().isOk());
  cairn::storage::StreamCrc back;
  std::string chunk;
  while (reader.next(chunk)) back.process_bytes(chunk.data(), chunk.size());
  REQUIRE(reader.status().isOk());
  REQUIRE(back.checksum() == crc.checksum());
  REQUIRE(a.logger.saw("sent database snapshot"));
  REQUIRE(b.logger.saw("received and saved database snapshot"));
}

TEST_CASE("a snapshot is not sent to an https:// peer whose certificate another CA signed") {
  cairn::testing::TestPki pki, other("other-ca");
  cairn::storage::StreamCrc crc;
  Member a(1, generatedState(4, &crc), peerTls(pki, pki.issue("m1", "m1", {"127.0.0.1"})));
  Member b(2, SnapshotIo{}, peerTls(other, other.issue("m2", "m2", {"127.0.0.1"})));
  link(a, b);
  a.transport->send({snapMessage(1, 2, 902)});
  REQUIRE(a.waitFor([&] { return a.failedReports > 0; }));
  REQUIRE(a.okReports == 0);
  REQUIRE(a.logger.saw("failed to send database snapshot"));
  REQUIRE(b.got.empty());
  REQUIRE(fs::is_empty(b.dir));
}

TEST_CASE("a plain snapshot sender is refused by an https:// listener") {
  cairn::testing::TestPki pki;
  cairn::storage::StreamCrc crc;
  Member a(1, generatedState(4, &crc));  // http:// only: it cannot speak TLS
  Member b(2, SnapshotIo{}, peerTls(pki, pki.issue("m2", "m2", {"127.0.0.1"})));
  a.transport->addPeer(2, {"http://" + b.url.substr(std::string("https://").size())});
  b.transport->addPeer(1, {a.url});
  std::this_thread::sleep_for(50ms);
  a.transport->send({snapMessage(1, 2, 903)});
  REQUIRE(a.waitFor([&] { return a.failedReports > 0; }));
  REQUIRE(a.okReports == 0);
  REQUIRE(b.got.empty());
  REQUIRE(fs::is_empty(b.dir));
}
