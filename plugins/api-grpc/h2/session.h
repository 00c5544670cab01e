// Session: the server side of one HTTP/2 connection (RFC 9113), as a state
// machine with no I/O: bytes read from the socket go in with receive(), the
// requests they carry come out through SessionHandler, and everything the
// server sends (its answers, SETTINGS acks, PINGs acks, WINDOW_UPDATEs, a
// GOAWAY) is collected in one output buffer that the caller writes out when
// it likes, with takeOutput().
//
// Why our own HTTP/2 rather than gRPC C++'s: gRPC C++ sends each message of
// a call as its own batch, completed through a completion queue, with one
// message in flight per stream. Under watch fan-out (1,000 streams, ten
// watchers each) and many small unary calls that round trip is most of the
// server's CPU, and answers of different calls cannot share a write. Here
// every answer is appended to the connection's one buffer, and whatever has
// gathered while the previous write was in flight leaves in the next write.
// No library in Debian's set fixed for Cairn does the HTTP/2 server side
// without its own event loop; see docs/architecture.md.
//
// Flow control: what the peer sends is credited back (WINDOW_UPDATE) as soon
// as it is handed to the handler, in batches of half a window; the handler
// bounds what it keeps (a request's size limit). What we send waits in its
// stream's queue until both the stream's and the connection's windows allow
// it, so queuedBytes() tells a producer to hold back.
//
// Not thread-safe: one owner at a time (the connection's mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "h2/frame.h"
#include "h2/hpack_decoder.h"
#include "h2/hpack_encoder.h"

namespace cairn::api::h2 {

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // A request's header block (a new stream). `endStream`: no body follows.
  // `tooLarge`: the block exceeded the header list limit and `headers` is
  // incomplete; the handler answers the stream with an error. `headers` is
  // the session's, valid during the call only.
  virtual void onRequest(std::uint32_t stream, const HeaderList& headers, bool endStream,
                         bool tooLarge) = 0;
  // Body bytes of an open stream (possibly empty with `endStream`).
  virtual void onData(std::uint32_t stream, std::string_view data, bool endStream) = 0;
  // The peer reset the stream, or it ended with a stream error (RST_STREAM
  // sent); nothing more comes for it and nothing more is sent.
  virtual void onReset(std::uint32_t stream, ErrorCode code) = 0;
  // A PING from the peer: false refuses it as abuse, ending the connection
  // with GOAWAY ENHANCE_YOUR_CALM "too_many_pings" (grpc-go's policy).
  virtual bool onPing() { return true; }
  // The peer acknowledged our PING.
  virtual void onPingAck() {}
};

struct SessionSettings {
  std::uint32_t maxConcurrentStreams = 0xffffffffu;
  // What we let the peer send before it must wait for our WINDOW_UPDATE.
  std::uint32_t streamWindow = 1u << 20;
  std::uint32_t connectionWindow = 4u << 20;
  std::uint32_t maxHeaderListSize = 16u << 20;
};

class Session {
 public:
  Session(SessionHandler& handler, const SessionSettings& settings);

  // Feeds bytes read from the socket (the client preface first). False on a
  // connection error: a GOAWAY is queued, the caller writes out what is
  // queued and closes the socket. Handler callbacks run inside.
  bool receive(std::string_view bytes);

  // Answers. Header fields are HPACK-encoded by the connection's encoder as
  // their block goes into the output. sendHeaders goes out before any data
  // queued after it; sendTrailers (END_STREAM) after everything queued on
  // the stream (the fields are copied if they must wait), and closes it.
  void sendHeaders(std::uint32_t stream, std::span<const HeaderField> fields);
  void sendData(std::uint32_t stream, std::string_view bytes);
  void sendTrailers(std::uint32_t stream, std::span<const HeaderField> fields);
  // Ends the stream now: its queued data is dropped. No onReset follows.
  void resetStream(std::uint32_t stream, ErrorCode code);
  // Bytes queued on the stream that flow control has not let out yet.
  std::size_t queuedBytes(std::uint32_t stream) const;

  // Sends a PING (a keepalive probe); the ack comes as onPingAck().
  void ping();

  // No new streams are accepted after this; the caller closes the socket
  // once activeStreams() is zero and the output is written.
  void goAway(ErrorCode code, std::string_view debug);

  // Moves what flow control allows from the streams' queues into the output
  // and swaps it into `out` (left empty if nothing is to be sent).
  void takeOutput(std::string* out);
  bool hasOutput() const;
  // True if HEADERS or DATA went into the output since the last call
  // (grpc-go's ping policy forgives a client's pings while we send them).
  bool takeFramedData() {
    const bool framed = framedData_;
    framedData_ = false;
    return framed;
  }
  // Bytes already framed into the output, waiting for takeOutput().
  std::size_t outputBytes() const { return out_.size(); }

  std::size_t activeStreams() const { return streams_.size(); }
  // A connection error happened or the peer sent GOAWAY: no new streams.
  bool goingAway() const { return goingAway_; }
  bool failed() const { return failed_; }
  // Why the connection failed (the GOAWAY's debug text), once failed().
  const std::string& failure() const { return failure_; }

 private:
  struct QueuedField {
    std::string name;
    std::string value;
    bool reused;
  };
  struct Stream {
    std::int64_t sendWindow = 0;
    std::uint32_t recvUnacked = 0;  // received, not yet credited back
    bool remoteClosed = false;      // END_STREAM received
    bool inSendQueue = false;
    bool trailersQueued = false;
    std::string pending;  // DATA payload waiting for flow control
    std::size_t pendingOffset = 0;
    std::vector<QueuedField> trailers;  // sent once `pending` is empty
  };

  bool processFrames();
  bool onFrame(const FrameHeader& h, std::string_view payload);
  bool onData(const FrameHeader& h, std::string_view payload);
  bool onHeaders(const FrameHeader& h, std::string_view payload);
  bool onContinuation(const FrameHeader& h, std::string_view payload);
  bool onHeaderBlock();
  bool onSettings(const FrameHeader& h, std::string_view payload);
  bool onWindowUpdate(const FrameHeader& h, std::string_view payload);
  bool onRstStream(const FrameHeader& h, std::string_view payload);
  bool onPing(const FrameHeader& h, std::string_view payload);
  bool onGoaway(const FrameHeader& h, std::string_view payload);

  // Connection error: queue GOAWAY, refuse everything after.
  bool fail(ErrorCode code, std::string_view debug);
  // Stream error: RST_STREAM, forget the stream, tell the handler.
  void streamError(std::uint32_t id, ErrorCode code);
  void creditConnection(std::uint32_t n);
  void writeHeaderBlock(std::uint32_t id, std::span<const HeaderField> fields, bool endStream);
  void enqueueSend(std::uint32_t id, Stream& s);
  void flushData();
  void closeStream(std::uint32_t id);
  // True for a stream id the peer has not opened yet.
  bool idle(std::uint32_t id) const;
  // Drops the stream and its place in the send queue; false if unknown.
  bool forget(std::uint32_t id);

  SessionHandler& handler_;
  const SessionSettings settings_;
  HpackDecoder decoder_;
  HpackEncoder encoder_;
  std::string blockScratch_;  // the header block being written, reused

  std::string in_;             // unparsed input
  std::size_t inOffset_ = 0;   // parsed prefix of in_
  bool prefaceSeen_ = false;   // the 24-byte client preface was consumed
  bool settingsSeen_ = false;  // the peer's first SETTINGS arrived
  std::string out_;            // frames ready to write

  // The header block being assembled from HEADERS + CONTINUATION frames.
  std::uint32_t headerStream_ = 0;  // 0: none in progress
  std::uint8_t headerFlags_ = 0;    // the HEADERS frame's flags
  std::string headerBlock_;
  HeaderList headers_;  // the last block's fields, reused (see HeaderList)

  // Stream nodes come from the session's own pool: a request's stream is
  // opened on the I/O thread and often closed on the thread that answers it,
  // and a node freed by another thread than the one that allocated it takes
  // glibc's slow paths on both. The session is only used under its owner's
  // lock, so the pool needs none.
  std::pmr::unsynchronized_pool_resource nodePool_;
  std::pmr::unordered_map<std::uint32_t, Stream> streams_{&nodePool_};
  std::uint32_t lastStream_ = 0;    // highest stream id the peer opened
  std::uint32_t lastAccepted_ = 0;  // highest one served (GOAWAY's last stream)
  std::deque<std::uint32_t> sendQueue_;

  // The peer's settings as they bear on what we send.
  std::int64_t peerInitialWindow_ = kDefaultWindow;
  std::uint32_t peerMaxFrame_ = kDefaultMaxFrameSize;
  std::int64_t connSendWindow_ = kDefaultWindow;
  std::uint32_t connRecvUnacked_ = 0;

  bool goingAway_ = false;
  bool failed_ = false;
  std::string failure_;
  bool framedData_ = false;  // HEADERS or DATA appended since takeFramedData()
};

}  // namespace cairn::api::h2
