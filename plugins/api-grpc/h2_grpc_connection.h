// H2GrpcConnection: one client connection served by api-grpc's own HTTP/2
// transport (h2/session.h says why it exists): gRPC calls over an
// h2::Session, answered by the kernel through the H2MethodTable.
//
// Threads. The connection belongs to one I/O thread (its io_context): only
// that thread reads and writes the socket, opens and drives watch sessions
// and stream calls, and runs requests into the kernel. Kernel threads come
// in two ways only: a unary call's `done` and a stream's `onReady`.
// Neither takes `mu_`: `done` serializes the answer on its own thread and
// queues it, `onReady` queues the stream's id, both in the connection's
// inbox under `inboxMu_`, a lock held only for that append. Either posts one
// flush to the I/O thread unless one is already due; the flush frames the
// queued answers into the session and marks the queued streams ready. So
// whatever answers gather while a write is in flight leave together in the
// next write.
//
// Why the inbox: the I/O thread holds `mu_` while the session parses a read
// or a stream is pumped, and on this kind of machine (a paravirtualized
// guest, where a wake-up across cores costs tens of microseconds of CPU) a
// kernel thread that found it taken slept and was woken again, about one
// extra context switch for every batch of answers on each side.
//
// Watch streams are pulled as gRPC's were (cairn/host.h): the I/O thread
// polls a ready stream's session until its queue in the HTTP/2 session
// holds kWatchQueueBytes; a stream past that is "blocked" and polled again
// when flow control has let its queue fall below half of it. Meanwhile the
// kernel's queue holds (and merges) the backlog, bounded as before.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/host.h"
#include "h2/hpack_encoder.h"
#include "h2/session.h"
#include "h2_method_table.h"

namespace cairn::api {

// What every connection of a server shares; outlives them all.
struct H2GrpcConfig {
  Host* host = nullptr;
  const H2MethodTable* methods = nullptr;
  int maxRequestBytes = 0;  // the receive limit clients see (grpc-go's texts beyond)
  h2::SessionSettings session;
  // etcd's --grpc-keepalive-min-time: a client pinging more often (or, with
  // no call open, more often than every two hours) is refused after two
  // strikes, as grpc-go's enforcement policy does.
  std::chrono::milliseconds keepaliveMinTime{std::chrono::minutes(5)};
  // --grpc-keepalive-interval / -timeout: a connection quiet for the
  // interval is pinged, and closed if still quiet after the timeout.
  std::chrono::milliseconds keepaliveInterval{std::chrono::hours(2)};
  std::chrono::milliseconds keepaliveTimeout{std::chrono::seconds(20)};
};

class H2GrpcConnection final : public std::enable_shared_from_this<H2GrpcConnection>,
                               private h2::SessionHandler {
 public:
  // Takes ownership of the connected socket `fd`.
  H2GrpcConnection(boost::asio::io_context& io, int fd, std::shared_ptr<const H2GrpcConfig> config);
  ~H2GrpcConnection() override;

  // Starts serving (any thread).
  void start();
  // Ends the connection now: every call is cancelled, the socket closed
  // (any thread; runs on the I/O thread).
  void shutdown();
  // Sends GOAWAY: no new calls; the open ones go on (any thread).
  void goAway();
  // No call is open (any thread).
  bool idle() const;

  // A watch stream's queue in the session beyond which it is not polled.
  static constexpr std::size_t kWatchQueueBytes = 64 * 1024;
  // The output one flush fills from ready streams before it writes.
  static constexpr std::size_t kFlushBytes = 256 * 1024;

 private:
  struct Call;
  struct Action;

  // h2::SessionHandler, called inside session_.receive() with mu_ held.
  void onRequest(std::uint32_t stream, const h2::HeaderList& headers, bool endStream,
                 bool tooLarge) override;
  void onData(std::uint32_t stream, std::string_view data, bool endStream) override;
  void onReset(std::uint32_t stream, h2::ErrorCode code) override;
  bool onPing() override;

  // I/O thread: the keepalive timer (armed for the interval, or for the
  // timeout once a ping went out).
  void armKeepalive(std::chrono::milliseconds after);
  void onKeepalive();

  // I/O thread.
  void waitReadable();
  void onReadable();
  void runActions(std::vector<Action>& actions);
  void runUnary(const std::shared_ptr<Call>& call, std::uint32_t id, const std::string& message);
  void openStream(const std::shared_ptr<Call>& call, std::uint32_t id);
  void streamMessage(const std::shared_ptr<Call>& call, std::uint32_t id,
                     const std::string& message);
  // Hands one LeaseKeepAlive request to the kernel; its answer queues the
  // next waiting request (keepAliveNext_).
  void keepAlive(const std::shared_ptr<Call>& call, std::uint32_t id, const std::string& message);
  void pumpWatch(const std::shared_ptr<Call>& call, std::uint32_t id);
  void pumpStream(const std::shared_ptr<Call>& call, std::uint32_t id);
  // What one poll of a stream gave: `more` when a response was appended,
  // `end` when the call ends with that status.
  struct Polled {
    bool more;
    std::optional<Status> end;
  };
  // Polls `call` with `pollOne` until its queue in the session would pass
  // kWatchQueueBytes, the session is empty, or the call ends; sends what it
  // got (I/O thread).
  void pump(const std::shared_ptr<Call>& call, std::uint32_t id,
            const std::function<Polled(std::string*)>& pollOne);
  void flush();
  bool writeOut();  // false: the write waits for the socket (or failed)
  void close();

  // Any thread; into the inbox.
  void answer(std::uint32_t id, const Status& status, const google::protobuf::Message* response);
  void markReady(std::uint32_t id);
  void postFlushLocked();

  // I/O thread: frames the answers queued by answer() into the session and
  // marks the streams queued by markReady() ready.
  void takeInbox();

  // mu_ held. `postFlush` false: the caller is the flush, which writes what
  // this queued.
  void finishLocked(std::uint32_t id, const Status& status, bool postFlush = true);
  void sendMessageLocked(std::uint32_t id, Call& call, std::string_view framed);
  // Cuts the whole gRPC messages at the front of `bytes` into `out` and
  // sets `*used` to the bytes they took; false (and the call finished) on a
  // message over the limit or a compressed one.
  bool takeMessagesLocked(std::uint32_t id, std::string_view bytes, std::vector<std::string>* out,
                          std::size_t* used);
  std::shared_ptr<Call> findLocked(std::uint32_t id) const;
  // grpc_server_handled_total of the call's method, once per call.
  static void countHandled(const Call& call, StatusCode code);

  boost::asio::io_context& io_;
  // Any stream socket (TCP or unix); read and written by the I/O thread.
  boost::asio::posix::stream_descriptor socket_;
  const std::shared_ptr<const H2GrpcConfig> config_;

  mutable std::mutex mu_;
  // All below: guarded by mu_.
  h2::Session session_;
  // calls_'s nodes, recycled within the connection (see h2::Session's
  // streams_: they are erased by whichever thread finishes the call).
  std::pmr::unsynchronized_pool_resource callNodes_;
  std::pmr::unordered_map<std::uint32_t, std::shared_ptr<Call>> calls_{&callNodes_};
  std::vector<Action>* actions_ = nullptr;    // set while receive() runs
  std::vector<std::uint32_t> ready_;          // streams to poll
  std::vector<std::uint32_t> blocked_;        // watch streams waiting for flow control
  std::vector<std::uint32_t> keepAliveNext_;  // LeaseKeepAlive streams with a request to send
  // Finished streams whose watch session or stream call the I/O thread
  // closes (outside mu_).
  std::vector<std::shared_ptr<Call>> toClose_;
  // onData's messages of one DATA frame (kept for its capacity).
  std::vector<std::string> messages_;
  bool flushPosted_ = false;
  bool readSinceCheck_ = false;  // bytes arrived since the keepalive timer last ran
  bool probing_ = false;         // a keepalive ping is out, waiting for any bytes
  // grpc-go's ping policy: strikes against pings closer than the minimum
  // interval, forgiven whenever headers or data go out on the socket.
  std::chrono::steady_clock::time_point lastPingAt_{};
  int pingStrikes_ = 0;
  bool writing_ = false;  // a write waits for the socket to drain
  bool closed_ = false;

  // The inbox (see the top of this file): unary answers, each with its
  // status and where its framed message lies in answeredBytes_ (empty for
  // an error), and the streams whose kernel side became ready.
  struct Answered {
    std::uint32_t id;
    Status status;
    std::size_t offset;
    std::size_t size;
  };
  std::mutex inboxMu_;
  // All four: guarded by inboxMu_.
  std::vector<Answered> answered_;
  std::string answeredBytes_;
  std::vector<std::uint32_t> readied_;
  bool inboxPosted_ = false;  // a flush is posted that will take the inbox

  // Set by the I/O thread when the write in progress sends headers or data,
  // read and cleared by onPing (under mu_).
  std::atomic<bool> resetPingStrikes_{false};

  // I/O thread only.
  bool writeCarriesData_ = false;  // writeBuf_ holds HEADERS or DATA frames
  boost::asio::steady_timer keepalive_;
  std::string writeBuf_;
  std::size_t writeOffset_ = 0;
  // The inbox as takeInbox() swapped it out, kept for its capacity.
  std::vector<Answered> takenAnswers_;
  std::string takenBytes_;
  std::vector<std::uint32_t> takenReadied_;
};

}  // namespace cairn::api
