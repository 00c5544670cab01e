#include "snapshot_receiver.h"

#include "peer_ids.h"
#include "snapshot_file.h"
#include "snapshot_wire.h"

namespace cairn::transport {
namespace {

using namespace snapshot_wire;
constexpr const char* kCaller = "rafthttp/http.go";

// A duration as Go's time.Duration prints it ("1.766249ms", "2.5s").
std::string goDuration(std::chrono::nanoseconds d) {
  const long long ns = d.count();
  const char* unit = "ns";
  long long scale = 1;
  if (ns >= 1000000000LL) {
    unit = "s";
    scale = 1000000000LL;
  } else if (ns >= 1000000LL) {
    unit = "ms";
    scale = 1000000LL;
  } else if (ns >= 1000LL) {
    unit = "\xc2\xb5s";  // µs
    scale = 1000LL;
  }
  std::string text = std::to_string(ns / scale);
  std::string fraction = std::to_string(ns % scale + scale).substr(1);  // zero-padded
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty()) text += "." + fraction;
  return text + unit;
}

}  // namespace

SnapshotReceiver::SnapshotReceiver(Logger& logger, uint64_t localId, Hello hello,
                                   std::unique_ptr<SnapshotChannel> channel, std::string dir,
                                   std::size_t maxFrameBytes, std::chrono::milliseconds ioTimeout)
    : logger_(logger),
      localId_(localId),
      hello_(hello),
      dir_(std::move(dir)),
      maxFrameBytes_(maxFrameBytes),
      channel_(std::move(channel)) {
  channel_->setTimeouts(ioTimeout);
}

SnapshotReceiver::~SnapshotReceiver() = default;

void SnapshotReceiver::cancel() {
  channel_->shutdown();
}

Status SnapshotReceiver::run(const Transport::Deliver& deliver) {
  Status st = receive(deliver);
  if (!st) {
    logger_.warn(kCaller, "failed to save incoming database snapshot",
                 jsonField("local-member-id", idHex(localId_)) + "," +
                     jsonField("remote-snapshot-sender-id", idHex(hello_.from)) + "," +
                     jsonField("incoming-snapshot-index", static_cast<long long>(index_)) + "," +
                     jsonField("error", st.message()));
    const char nack = kSnapshotNack;
    (void)channel_->writeAll(std::string_view(&nack, 1));
    return st;
  }
  return st;
}

Status SnapshotReceiver::receive(const Transport::Deliver& deliver) {
  const auto start = std::chrono::steady_clock::now();
  char lenBuf[4];
  if (Status st = channel_->readExact(lenBuf, 4); !st) return st;
  const uint64_t msgLen = getBe(lenBuf, 4);
  if (msgLen > maxFrameBytes_) {
    return Status(StatusCode::InvalidArgument, "snapshot message too large");
  }
  std::string msgBytes(msgLen, '\0');
  if (Status st = channel_->readExact(msgBytes.data(), msgLen); !st) return st;
  raftpb::Message m;
  if (!m.ParseFromString(msgBytes) || m.type() != raftpb::MSG_SNAP || m.from() != hello_.from ||
      m.to() != localId_) {
    return Status(StatusCode::InvalidArgument, "not a snapshot message from this peer");
  }
  index_ = m.snapshot().metadata().index();
  logger_.info(
      kCaller, "receiving database snapshot",
      jsonField("local-member-id", idHex(localId_)) + "," +
          jsonField("remote-snapshot-sender-id", idHex(hello_.from)) + "," +
          jsonField("incoming-snapshot-index", static_cast<long long>(index_)) + "," +
          jsonField("incoming-snapshot-message-size-bytes", static_cast<long long>(msgLen)));

  SnapshotFileWriter file(dir_, m.snapshot().metadata().term(), index_);
  if (Status st = file.open(); !st) return st;
  std::string chunk;
  for (;;) {
    if (Status st = channel_->readExact(lenBuf, 4); !st) return st;
    const uint64_t n = getBe(lenBuf, 4);
    if (n == 0) break;
    if (n > kMaxSnapshotChunk) {
      return Status(StatusCode::InvalidArgument, "snapshot chunk too large");
    }
    chunk.resize(n);
    if (Status st = channel_->readExact(chunk.data(), n); !st) return st;
    if (Status st = file.append(chunk); !st) return st;
  }
  char endBuf[12];
  if (Status st = channel_->readExact(endBuf, sizeof endBuf); !st) return st;
  if (Status st = file.commit(getBe(endBuf, 8), static_cast<uint32_t>(getBe(endBuf + 8, 4))); !st) {
    return st;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  logger_.info(kCaller, "received and saved database snapshot",
               jsonField("local-member-id", idHex(localId_)) + "," +
                   jsonField("remote-snapshot-sender-id", idHex(hello_.from)) + "," +
                   jsonField("incoming-snapshot-index", static_cast<long long>(index_)) + "," +
                   jsonField("incoming-snapshot-size-bytes", static_cast<long long>(file.bytes())) +
                   "," + jsonField("download-took", goDuration(took)));
  deliver(std::move(m));
  const char ack = kSnapshotAck;
  return channel_->writeAll(std::string_view(&ack, 1));
}

}  // namespace cairn::transport
