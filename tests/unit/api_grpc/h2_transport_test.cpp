// api-grpc's own HTTP/2 transport seen by a raw HTTP/2 client (frames
// written by hand), for what a gRPC client library never shows: the ping
// policy, GOAWAY, the answer's frames and a client that is not a gRPC one.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "h2/frame.h"
#include "h2/hpack_decoder.h"
#include "h2/hpack_encoder.h"
#include "test_server.h"

using namespace std::chrono_literals;
using namespace cairn::api::h2;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;

namespace {

struct Frame {
  FrameType type;
  std::uint8_t flags;
  std::uint32_t stream;
  std::string payload;
};

// A blocking client socket speaking HTTP/2 frames.
class RawClient {
 public:
  explicit RawClient(const std::string& address) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port =
        htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string hello(kClientPreface);
    appendFrameHeader(&hello, 0, FrameType::Settings, 0, 0);
    send(hello);
  }
  ~RawClient() { ::close(fd_); }

  void send(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }

  // The next frame; false when the server closed the connection (or 5 s
  // passed).
  bool next(Frame* f) {
    unsigned char header[kFrameHeaderSize];
    if (!readExactly(reinterpret_cast<char*>(header), sizeof header)) return false;
    const FrameHeader h = parseFrameHeader(header);
    f->type = h.type;
    f->flags = h.flags;
    f->stream = h.stream;
    f->payload.resize(h.length);
    return readExactly(f->payload.data(), h.length);
  }

  // Frames until one of `type` (included); false if the connection ended
  // first.
  bool until(FrameType type, std::vector<Frame>* seen) {
    Frame f;
    while (next(&f)) {
      seen->push_back(f);
      if (f.type == type) return true;
    }
    return false;
  }

 private:
  bool readExactly(char* out, std::size_t n) {
    while (n > 0) {
      const ssize_t got = ::recv(fd_, out, n, 0);
      if (got <= 0) return false;
      out += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }

  int fd_ = -1;
};

std::string ping(char tag) {
  std::string out;
  appendFrameHeader(&out, 8, FrameType::Ping, 0, 0);
  out.append(8, tag);
  return out;
}

// A unary Range of `key` on `stream`: HEADERS, then the message with
// END_STREAM.
std::string rangeCall(std::uint32_t stream, const std::string& key = "a") {
  std::string block;
  const HpackEncoder encoder;
  encoder.encode(":method", "POST", &block);
  encoder.encode(":scheme", "http", &block);
  encoder.encode(":path", "/etcdserverpb.KV/Range", &block);
  encoder.encode(":authority", "cairn", &block);
  encoder.encode("content-type", "application/grpc", &block);
  encoder.encode("te", "trailers", &block);
  pb::RangeRequest request;
  request.set_key(key);
  const std::string body = request.SerializeAsString();
  std::string out;
  appendFrameHeader(&out, static_cast<std::uint32_t>(block.size()), FrameType::Headers,
                    flags::kEndHeaders, stream);
  out += block;
  std::string message(1, '\0');
  appendU32(&message, static_cast<std::uint32_t>(body.size()));
  message += body;
  appendFrameHeader(&out, static_cast<std::uint32_t>(message.size()), FrameType::Data,
                    flags::kEndStream, stream);
  out += message;
  return out;
}

// The frames of stream `stream` up to its trailers (HEADERS with
// END_STREAM); false if the connection ended first.
bool answerOf(RawClient& client, std::uint32_t stream, std::vector<Frame>* frames) {
  Frame f;
  while (client.next(&f)) {
    if (f.stream != stream) continue;
    frames->push_back(f);
    if (f.type == FrameType::Headers && (f.flags & flags::kEndStream) != 0) return true;
  }
  return false;
}

void scriptRange(ServedKv& s) {
  pb::RangeResponse response;
  response.mutable_header()->set_revision(7);
  s.fake().rangeMethod.script(cairn::api::test::replyOn<pb::RangeRequest>(s.kernel, response));
}

}  // namespace

TEST_CASE("A unary call answers HEADERS, DATA and trailers with grpc-status 0", "[h2transport]") {
  ServedKv s({}, 500ms, {}, true);
  scriptRange(s);
  RawClient client(s.address);
  client.send(rangeCall(1));
  std::vector<Frame> frames;
  REQUIRE(answerOf(client, 1, &frames));
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].type == FrameType::Headers);
  REQUIRE(frames[1].type == FrameType::Data);
  pb::RangeResponse response;
  REQUIRE(frames[1].payload.size() >= 5);
  REQUIRE(response.ParseFromString(frames[1].payload.substr(5)));
  CHECK(response.header().revision() == 7);
  HpackDecoder decoder;
  HeaderList headers;
  REQUIRE(decoder.decode(frames[0].payload, &headers) == HpackDecoder::Result::Ok);
  REQUIRE(decoder.decode(frames[2].payload, &headers) == HpackDecoder::Result::Ok);
  std::vector<std::string> fields;
  for (const Header& h : headers) fields.push_back(h.name + ": " + h.value);
  CHECK(fields == std::vector<std::string>{":status: 200", "content-type: application/grpc",
                                           "grpc-status: 0"});
  // The first answer entered content-type and grpc-status in the dynamic
  // table (RFC 7541 6.2.1); the next call's answer names them by index, one
  // byte each: content-type 63 (older), grpc-status 62 (newest).
  CHECK(static_cast<unsigned char>(frames[0].payload[1]) == 0x5f);  // 01, index 31
  CHECK(static_cast<unsigned char>(frames[2].payload[0]) == 0x40);  // 01, literal name
  client.send(rangeCall(3));
  frames.clear();
  REQUIRE(answerOf(client, 3, &frames));
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].payload == "\x88\xbf");
  CHECK(frames[2].payload == "\xbe");
  headers.clear();
  REQUIRE(decoder.decode(frames[0].payload, &headers) == HpackDecoder::Result::Ok);
  REQUIRE(decoder.decode(frames[2].payload, &headers) == HpackDecoder::Result::Ok);
  fields.clear();
  for (const Header& h : headers) fields.push_back(h.name + ": " + h.value);
  CHECK(fields == std::vector<std::string>{":status: 200", "content-type: application/grpc",
                                           "grpc-status: 0"});
}

TEST_CASE("Pings with nothing sent in between earn too_many_pings", "[h2transport]") {
  ServedKv s({}, 500ms, {}, true);
  RawClient client(s.address);
  // With no call open a ping within two hours of the last is a strike; the
  // third strike (the fourth ping) ends the connection, as grpc-go's
  // server does.
  for (char tag : {'1', '2', '3', '4'}) client.send(ping(tag));
  std::vector<Frame> frames;
  REQUIRE(client.until(FrameType::Goaway, &frames));
  const std::string& goaway = frames.back().payload;
  REQUIRE(goaway.size() >= 8);
  CHECK(readU32(reinterpret_cast<const unsigned char*>(goaway.data()) + 4) ==
        static_cast<std::uint32_t>(ErrorCode::EnhanceYourCalm));
  CHECK(goaway.substr(8) == "too_many_pings");
  int acks = 0;
  for (const Frame& f : frames) acks += f.type == FrameType::Ping ? 1 : 0;
  CHECK(acks == 3);
}

TEST_CASE("Pings answered by data on the wire are forgiven", "[h2transport]") {
  ServedKv s({}, 500ms, {}, true);
  scriptRange(s);
  RawClient client(s.address);
  // grpc-go's client pings as it receives data (its bandwidth probe): each
  // ping here follows an answer, so none is a strike.
  for (std::uint32_t stream = 1; stream <= 21; stream += 2) {
    client.send(rangeCall(stream));
    std::vector<Frame> frames;
    bool answered = false;
    Frame f;
    while (!answered && client.next(&f)) {
      answered =
          f.stream == stream && f.type == FrameType::Headers && (f.flags & flags::kEndStream) != 0;
    }
    REQUIRE(answered);
    client.send(ping('p'));
    REQUIRE(client.until(FrameType::Ping, &frames));
    CHECK((frames.back().flags & flags::kAck) != 0);
  }
}

TEST_CASE("A WINDOW_UPDATE of zero ends the connection with GOAWAY PROTOCOL_ERROR",
          "[h2transport]") {
  ServedKv s({}, 500ms, {}, true);
  RawClient client(s.address);
  std::string junk;
  appendFrameHeader(&junk, 4, FrameType::WindowUpdate, 0, 0);
  appendU32(&junk, 0);  // an increment of 0 on the connection
  client.send(junk);
  std::vector<Frame> frames;
  REQUIRE(client.until(FrameType::Goaway, &frames));
  CHECK(readU32(reinterpret_cast<const unsigned char*>(frames.back().payload.data()) + 4) ==
        static_cast<std::uint32_t>(ErrorCode::ProtocolError));
  Frame after;
  CHECK_FALSE(client.next(&after));  // closed
}

TEST_CASE("A request cut across DATA frames, inside its prefix too, reaches the kernel whole",
          "[h2transport]") {
  ServedKv s({}, 500ms, {}, true);
  scriptRange(s);
  RawClient client(s.address);
  // rangeCall(1) is HEADERS then one DATA frame; send the same request with
  // its message cut in three DATA frames, the first holding 3 of the 5
  // prefix bytes.
  const std::string whole = rangeCall(1);
  const std::size_t headersEnd =
      kFrameHeaderSize +
      parseFrameHeader(reinterpret_cast<const unsigned char*>(whole.data())).length;
  const std::string message = whole.substr(headersEnd + kFrameHeaderSize);
  std::string out = whole.substr(0, headersEnd);
  const std::size_t cuts[] = {0, 3, 7, message.size()};
  for (int i = 0; i < 3; ++i) {
    const std::string piece = message.substr(cuts[i], cuts[i + 1] - cuts[i]);
    appendFrameHeader(&out, static_cast<std::uint32_t>(piece.size()), FrameType::Data,
                      i == 2 ? flags::kEndStream : 0, 1);
    out += piece;
  }
  client.send(out);
  std::vector<Frame> frames;
  REQUIRE(answerOf(client, 1, &frames));
  REQUIRE(frames.size() == 3);
  REQUIRE(frames[1].type == FrameType::Data);
  pb::RangeResponse response;
  REQUIRE(response.ParseFromString(frames[1].payload.substr(5)));
  CHECK(response.header().revision() == 7);
  const auto requests = s.fake().rangeMethod.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].key() == "a");
}

TEST_CASE("Answers queued together from another thread each reach their own stream",
          "[h2transport]") {
  ServedKv s({}, 500ms, {}, true);
  // The kernel holds every call until all 40 arrived and the client reset
  // stream 7, then answers them in one go from its thread, last call first:
  // the answers queue for the I/O thread together. The revision tells the
  // call (stream id); every fifth call fails.
  constexpr std::uint32_t kCalls = 40;
  std::mutex mu;
  std::vector<std::pair<std::uint32_t, cairn::Done<pb::RangeResponse>>> held;
  s.fake().rangeMethod.script(
      [&](const pb::RangeRequest& request, cairn::Done<pb::RangeResponse> done) {
        std::lock_guard lk(mu);
        held.emplace_back(static_cast<std::uint32_t>(std::stoul(request.key())), std::move(done));
      });
  RawClient client(s.address);
  std::string calls;
  for (std::uint32_t i = 0; i < kCalls; ++i) {
    const std::uint32_t stream = 2 * i + 1;
    calls += rangeCall(stream, std::to_string(stream));
  }
  client.send(calls);
  REQUIRE(s.fake().rangeMethod.waitForRequests(kCalls, 5s));
  std::string reset;
  appendFrameHeader(&reset, 4, FrameType::RstStream, 0, 7);
  appendU32(&reset, static_cast<std::uint32_t>(ErrorCode::Cancel));
  client.send(reset);
  const auto requests = s.fake().rangeMethod.requests();
  const auto contexts = s.fake().rangeMethod.contexts();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].key() != "7") continue;
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!contexts[i].cancel->cancelled() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(contexts[i].cancel->cancelled());
  }
  {
    std::lock_guard lk(mu);
    s.kernel.post([all = std::move(held)]() mutable {
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        auto& [stream, answer] = *it;
        if (stream % 5 == 0) {
          answer(cairn::Status(cairn::StatusCode::FailedPrecondition,
                               "call " + std::to_string(stream)),
                 pb::RangeResponse{});
          continue;
        }
        pb::RangeResponse response;
        response.mutable_header()->set_revision(stream);
        answer(cairn::Status::ok(), std::move(response));
      }
    });
  }

  std::map<std::uint32_t, std::vector<Frame>> byStream;
  // Header blocks are decoded as they arrive, with one decoder: the
  // connection's dynamic table follows the wire order, not the streams'.
  HpackDecoder decoder;
  std::map<std::uint32_t, std::map<std::string, std::string>> fieldsByStream;
  std::size_t ended = 0;
  Frame f;
  while (ended < kCalls - 1 && client.next(&f)) {
    if (f.stream == 0) continue;
    byStream[f.stream].push_back(f);
    if (f.type == FrameType::Headers) {
      HeaderList headers;
      REQUIRE(decoder.decode(f.payload, &headers) == HpackDecoder::Result::Ok);
      for (const Header& h : headers) fieldsByStream[f.stream][h.name] = h.value;
      if ((f.flags & flags::kEndStream) != 0) ++ended;
    }
  }
  REQUIRE(ended == kCalls - 1);
  CHECK(byStream.count(7) == 0);
  for (const auto& [stream, frames] : byStream) {
    INFO("stream " << stream);
    auto& fields = fieldsByStream[stream];
    if (stream % 5 == 0) {
      REQUIRE(frames.size() == 1);  // trailers only
      CHECK(fields["grpc-status"] == "9");
      CHECK(fields["grpc-message"] == "call " + std::to_string(stream));
      continue;
    }
    REQUIRE(frames.size() == 3);
    REQUIRE(frames[1].type == FrameType::Data);
    pb::RangeResponse response;
    REQUIRE(response.ParseFromString(frames[1].payload.substr(5)));
    CHECK(response.header().revision() == stream);
    CHECK(fields["grpc-status"] == "0");
  }
  // The connection goes on serving.
  scriptRange(s);
  client.send(rangeCall(2 * kCalls + 1));
  std::vector<Frame> frames;
  REQUIRE(answerOf(client, 2 * kCalls + 1, &frames));
  CHECK(frames.size() == 3);
}
