// The JSON gateway in-process against the fake kernel: path rewriting,
// request parsing edge cases, the gateway's JSON shape and error bodies.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "../api_grpc/fake_kernel.h"
#include "json_gateway.h"
#include "json_text.h"
#include "router.h"

using cairn::Status;
using cairn::StatusCode;
using cairn::api::test::FakeHost;
using cairn::apihttp::goJsonQuote;
using cairn::apihttp::JsonGateway;
using cairn::apihttp::Request;
using cairn::apihttp::Response;
using cairn::apihttp::Router;
namespace http = cairn::apihttp::http;

namespace {

Request post(const std::string& target, const std::string& body) {
  Request req{http::verb::post, target, 11};
  req.body() = body;
  req.prepare_payload();
  return req;
}

// The fake kernel answers synchronously, so the reply is there on return.
std::optional<Response> call(Router& router, const Request& req) {
  std::optional<Response> out;
  router.handle(req, [&out](Response res) { out = std::move(res); });
  return out;
}

}  // namespace

TEST_CASE("gateway paths: /v3beta/ is /v3/, the query is dropped, others are not gateway") {
  CHECK(JsonGateway::gatewayPath("/v3/kv/range") == "/v3/kv/range");
  CHECK(JsonGateway::gatewayPath("/v3beta/kv/range?x=1") == "/v3/kv/range");
  CHECK(JsonGateway::gatewayPath("/v3alpha/kv/range").empty());
  CHECK(JsonGateway::gatewayPath("/v3").empty());
  CHECK(JsonGateway::gatewayPath("/health").empty());
}

TEST_CASE("gRPC codes map to the gateway's HTTP statuses") {
  CHECK(JsonGateway::httpStatusFor(StatusCode::InvalidArgument) == http::status::bad_request);
  CHECK(JsonGateway::httpStatusFor(StatusCode::OutOfRange) == http::status::bad_request);
  CHECK(JsonGateway::httpStatusFor(StatusCode::FailedPrecondition) ==
        http::status::precondition_failed);
  CHECK(JsonGateway::httpStatusFor(StatusCode::NotFound) == http::status::not_found);
  CHECK(JsonGateway::httpStatusFor(StatusCode::ResourceExhausted) ==
        http::status::too_many_requests);
  CHECK(JsonGateway::httpStatusFor(StatusCode::Unavailable) == http::status::service_unavailable);
  CHECK(JsonGateway::httpStatusFor(StatusCode::Cancelled) == http::status::request_timeout);
  CHECK(JsonGateway::httpStatusFor(StatusCode::DataLoss) == http::status::internal_server_error);
}

TEST_CASE("error strings are quoted as Go's encoding/json quotes them") {
  CHECK(goJsonQuote("plain") == "\"plain\"");
  CHECK(goJsonQuote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  CHECK(goJsonQuote("<&>") == "\"\\u003c\\u0026\\u003e\"");
  CHECK(goJsonQuote(std::string("\x01", 1)) == "\"\\u0001\"");
  CHECK(goJsonQuote("\xff") == "\"\\ufffd\"");
  CHECK(goJsonQuote("\xc3\xbc") == "\"\xc3\xbc\"");
}

TEST_CASE("a range is parsed with proto names, answered with int64 strings and no defaults") {
  FakeHost host({});
  host.fakeKv().rangeMethod.script([](const etcdserverpb::RangeRequest& req, auto done) {
    etcdserverpb::RangeResponse res;
    res.mutable_header()->set_revision(7);
    auto* kv = res.add_kvs();
    kv->set_key(req.key());
    kv->set_value("bar");
    kv->set_mod_revision(7);
    res.set_count(1);
    done(Status::ok(), std::move(res));
  });
  JsonGateway gateway(host, 1536 * 1024);
  Router router(host, &gateway);
  auto res = call(router, post("/v3beta/kv/range", R"({"key":"Zm9v","range_end":"Zm9w",)"
                                                   R"("keys_only":true,"unknown":{"a":1}})"));
  REQUIRE(res);
  CHECK(res->result() == http::status::ok);
  CHECK(res->body() ==
        R"({"header":{"revision":"7"},"kvs":[{"key":"Zm9v","mod_revision":"7","value":"YmFy"}],)"
        R"("count":"1"})");
  auto seen = host.fakeKv().rangeMethod.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].key() == "foo");
  CHECK(seen[0].range_end() == "fop");
  CHECK(seen[0].keys_only());
}

TEST_CASE("bad bodies are InvalidArgument in the gateway's error body, the kernel untouched") {
  FakeHost host({});
  JsonGateway gateway(host, 1536 * 1024);
  Router router(host, &gateway);
  for (const char* body : {"{bad", R"({"key":"!!"})", R"({"limit":"x"})", "[]"}) {
    auto res = call(router, post("/v3/kv/range", body));
    REQUIRE(res);
    CHECK(res->result() == http::status::bad_request);
    CHECK_THAT(res->body(),
               Catch::StartsWith("{\"error\":\"") && Catch::EndsWith("\",\"code\":3}"));
  }
  CHECK(host.fakeKv().rangeMethod.requests().empty());
}

TEST_CASE("an empty body is an empty request; kernel errors keep their code and message") {
  FakeHost host({});
  host.fakeKv().putMethod.script([](const etcdserverpb::PutRequest&, auto done) {
    done(Status(StatusCode::InvalidArgument, "etcdserver: key is not provided"), {});
  });
  JsonGateway gateway(host, 1536 * 1024);
  Router router(host, &gateway);
  auto res = call(router, post("/v3/kv/put", ""));
  REQUIRE(res);
  CHECK(res->result() == http::status::bad_request);
  CHECK(res->body() == R"({"error":"etcdserver: key is not provided",)"
                       R"("message":"etcdserver: key is not provided","code":3})");
  CHECK(res->at(http::field::content_type) == "application/json");
}

TEST_CASE("a request message over the receive limit never reaches the kernel") {
  FakeHost host({});
  JsonGateway gateway(host, 16);  // limit: 16 + 512 KiB
  Router router(host, &gateway);
  const std::string value(700 * 1024, 'x');
  std::string b64;
  {
    // 700 KiB of 'x' in base64: "eHh4" per three bytes.
    for (std::size_t i = 0; i < value.size() / 3; ++i) b64 += "eHh4";
    b64 += "eA==";
  }
  auto res = call(router, post("/v3/kv/put", R"({"key":"YQ==","value":")" + b64 + "\"}"));
  REQUIRE(res);
  CHECK(res->result() == http::status::too_many_requests);
  CHECK_THAT(res->body(), Catch::Contains("grpc: received message larger than max (") &&
                              Catch::Contains(" vs. 524304)") && Catch::EndsWith(",\"code\":8}"));
  CHECK(host.fakeKv().putMethod.requests().empty());
}

TEST_CASE("routes: methods, unknown paths, the /v3 redirect, metrics listeners") {
  FakeHost host({});
  JsonGateway gateway(host, 1536 * 1024);
  Router client(host, &gateway);
  Router metrics(host, nullptr);

  Request get{http::verb::get, "/v3/kv/range", 11};
  auto res = call(client, get);
  CHECK(res->result() == http::status::method_not_allowed);
  CHECK(res->body() == "Method Not Allowed\n");

  res = call(client, post("/v3/kv/nope", "{}"));
  CHECK(res->result() == http::status::not_found);
  CHECK(res->body() == "Not Found\n");
  // Streams: a POST is the session's to open, any other method is refused.
  CHECK(gateway.isStream(post("/v3/watch", "{}")));
  CHECK(gateway.isStream(post("/v3beta/lease/keepalive", "{}")));
  CHECK_FALSE(gateway.isStream(post("/v3/kv/range", "{}")));
  res = call(client, Request{http::verb::get, "/v3/watch", 11});
  CHECK(res->result() == http::status::method_not_allowed);
  res = call(client, post("/v3alpha/kv/range", "{}"));
  CHECK(res->body() == "404 page not found\n");
  CHECK(res->at("X-Content-Type-Options") == "nosniff");

  res = call(client, post("/v3", ""));
  CHECK(res->result() == http::status::moved_permanently);
  CHECK(res->at(http::field::location) == "/v3/");

  res = call(client, Request{http::verb::get, "/version", 11});
  CHECK(res->body() == R"({"etcdserver":"3.4.23","etcdcluster":"3.4.0"})");
  res = call(client, Request{http::verb::post, "/version", 11});
  CHECK(res->result() == http::status::method_not_allowed);
  CHECK(res->at(http::field::allow) == "GET");

  res = call(metrics, Request{http::verb::get, "/version", 11});
  CHECK(res->body() == "404 page not found\n");
  res = call(metrics, post("/v3/kv/range", "{}"));
  CHECK(res->body() == "404 page not found\n");
  res = call(metrics, Request{http::verb::get, "/metrics", 11});
  CHECK(res->result() == http::status::ok);
}
