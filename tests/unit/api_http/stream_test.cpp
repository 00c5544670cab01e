// The pieces of the gateway's streaming routes that need no socket: how a
// body is read message by message, the keep-alive call's ordering and end, and the
// stream error object.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "../api_grpc/fake_kernel.h"
#include "gateway_stream.h"
#include "go_json_reader.h"
#include "keep_alive_stream_call.h"

using cairn::Done;
using cairn::RequestContext;
using cairn::Status;
using cairn::StatusCode;
using cairn::StreamCall;
using cairn::api::test::FakeLease;
using cairn::apihttp::GoJsonNode;
using cairn::apihttp::GoJsonReader;
using cairn::apihttp::KeepAliveStreamCall;
using cairn::apihttp::streamErrorJson;

TEST_CASE("a body is read value by value, as Go's json.Decoder reads it") {
  GoJsonReader reader(R"( {"a":{"b":[1,2]}}{"c":"}{\"]"}  [3] "s" 17 true )");
  std::vector<std::string_view> raws;
  GoJsonNode node;
  std::string error;
  while (reader.next(&node, &error) == GoJsonReader::Outcome::Value) raws.push_back(node.raw);
  CHECK(raws == std::vector<std::string_view>{R"({"a":{"b":[1,2]}})", R"({"c":"}{\"]"})", "[3]",
                                              "\"s\"", "17", "true"});
  CHECK(GoJsonReader("").next(&node, &error) == GoJsonReader::Outcome::End);
  CHECK(GoJsonReader(" \n\t ").next(&node, &error) == GoJsonReader::Outcome::End);
}

TEST_CASE("a body that ends inside a value keeps the values before it") {
  GoJsonReader reader(R"({"a":1} {"b":)");
  GoJsonNode node;
  std::string error;
  REQUIRE(reader.next(&node, &error) == GoJsonReader::Outcome::Value);
  CHECK(node.raw == R"({"a":1})");
  REQUIRE(reader.next(&node, &error) == GoJsonReader::Outcome::Error);
  CHECK(error == "unexpected EOF");
  CHECK(GoJsonReader(R"({"a":"\")").next(&node, &error) == GoJsonReader::Outcome::Error);
  CHECK(error == "unexpected EOF");  // the escaped quote does not end the string
  CHECK(GoJsonReader("}").next(&node, &error) == GoJsonReader::Outcome::Error);
  CHECK(error == "invalid character '}' looking for beginning of value");
}

namespace {

struct KeepAliveFixture {
  FakeLease lease;
  std::vector<Done<etcdserverpb::LeaseKeepAliveResponse>> pending;
  int ready = 0;
  std::unique_ptr<KeepAliveStreamCall> call;

  KeepAliveFixture() {
    lease.keepAliveMethod.script([this](const etcdserverpb::LeaseKeepAliveRequest&,
                                        Done<etcdserverpb::LeaseKeepAliveResponse> done) {
      pending.push_back(std::move(done));
    });
    call = std::make_unique<KeepAliveStreamCall>(lease, RequestContext{}, [this] { ++ready; });
  }
  void send(int64_t id) {
    etcdserverpb::LeaseKeepAliveRequest req;
    req.set_id(id);
    call->onMessage(req);
  }
  static void answer(Done<etcdserverpb::LeaseKeepAliveResponse>& done, int64_t id) {
    etcdserverpb::LeaseKeepAliveResponse r;
    r.set_id(id);
    r.set_ttl(10);
    done(Status::ok(), std::move(r));
  }
  StreamCall::Next poll(int64_t* id, Status* final) {
    std::unique_ptr<google::protobuf::Message> out;
    auto next = call->poll(&out, final);
    if (next == StreamCall::Next::Message) {
      *id = static_cast<etcdserverpb::LeaseKeepAliveResponse&>(*out).id();
    }
    return next;
  }
};

}  // namespace

TEST_CASE("keep-alives over the gateway answer in request order, then end") {
  KeepAliveFixture f;
  f.send(1);
  f.send(2);
  f.send(3);
  f.call->onClientDone();
  REQUIRE(f.pending.size() == 3);
  int64_t id = 0;
  Status final;
  // The third completes first: nothing is written before the first.
  KeepAliveFixture::answer(f.pending[2], 3);
  CHECK(f.poll(&id, &final) == StreamCall::Next::Idle);
  KeepAliveFixture::answer(f.pending[0], 1);
  REQUIRE(f.poll(&id, &final) == StreamCall::Next::Message);
  CHECK(id == 1);
  CHECK(f.poll(&id, &final) == StreamCall::Next::Idle);
  KeepAliveFixture::answer(f.pending[1], 2);
  REQUIRE(f.poll(&id, &final) == StreamCall::Next::Message);
  CHECK(id == 2);
  REQUIRE(f.poll(&id, &final) == StreamCall::Next::Message);
  CHECK(id == 3);
  REQUIRE(f.poll(&id, &final) == StreamCall::Next::Finished);
  CHECK(final.isOk());
  CHECK(f.ready >= 3);
}

TEST_CASE("a failed keep-alive ends the stream after the answers before it") {
  KeepAliveFixture f;
  f.send(1);
  f.send(2);
  f.send(3);
  KeepAliveFixture::answer(f.pending[0], 1);
  f.pending[1](Status(StatusCode::Unavailable, "etcdserver: no leader"), {});
  KeepAliveFixture::answer(f.pending[2], 3);
  int64_t id = 0;
  Status final;
  REQUIRE(f.poll(&id, &final) == StreamCall::Next::Message);
  CHECK(id == 1);
  REQUIRE(f.poll(&id, &final) == StreamCall::Next::Finished);
  CHECK(final.code() == StatusCode::Unavailable);
  CHECK(final.message() == "etcdserver: no leader");
}

TEST_CASE("a closed keep-alive call ignores late completions and never signals") {
  KeepAliveFixture f;
  f.send(1);
  f.call->close();
  const int before = f.ready;
  KeepAliveFixture::answer(f.pending[0], 1);
  CHECK(f.ready == before);
  f.call.reset();  // the completion's state outlives the call
}

TEST_CASE("the stream error object is the gateway's StreamError") {
  CHECK(streamErrorJson(Status(StatusCode::Unimplemented, "not <here>")) ==
        R"({"error":{"grpc_code":12,"http_code":501,"message":"not \u003chere\u003e",)"
        R"("http_status":"Not Implemented"}})");
  CHECK(streamErrorJson(Status(StatusCode::ResourceExhausted, "")) ==
        R"({"error":{"grpc_code":8,"http_code":429,"http_status":"Too Many Requests"}})");
}
