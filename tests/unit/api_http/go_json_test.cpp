// Request bodies read as etcd's gateway reads them (Go's encoding/json and
// golang/protobuf's jsonpb). The expected texts are what etcd 3.4 answers
// (tests/differential/test_http_gateway_diff.py compares whole sessions).
#include <catch2/catch.hpp>
#include <string>

#include "etcdserverpb/rpc.pb.h"
#include "gateway_json_decoder.h"
#include "go_base64.h"
#include "go_json_reader.h"

using cairn::apihttp::decodeGatewayBody;
using cairn::apihttp::goBase64Decode;
using cairn::apihttp::GoJsonNode;
using cairn::apihttp::parseGoJsonWhole;

namespace {

std::string putError(const std::string& body) {
  etcdserverpb::PutRequest put;
  std::string error;
  if (decodeGatewayBody(body, &put, &error)) return "ok:" + put.ShortDebugString();
  return error;
}

}  // namespace

TEST_CASE("syntax errors carry Go's text") {
  CHECK(putError("{") == "unexpected EOF");
  CHECK(putError(R"({"key" "YQ=="})") == "invalid character '\"' after object key");
  CHECK(putError(R"({"key":"YQ==",})") ==
        "invalid character '}' looking for beginning of object key string");
  CHECK(putError(R"({"key":01})") == "invalid character '1' after object key:value pair");
  CHECK(putError(R"({"key":1.})") ==
        "invalid character '}' after decimal point in numeric literal");
  CHECK(putError("{\"key\":\"\x01\"}") == "invalid character '\\x01' in string literal");
  CHECK(putError(R"({"key":"\q"})") == "invalid character 'q' in string escape code");
  CHECK(putError("tru") == "unexpected EOF");
  CHECK(putError("trUe") == "invalid character 'U' in literal true (expecting 'u')");
  CHECK(putError(std::string(10001, '[')) == "invalid character '[' exceeded max depth");
}

TEST_CASE("what the first value leaves out, and null, are not errors") {
  CHECK(putError("") == "ok:");
  CHECK(putError(" \n") == "ok:");
  CHECK(putError("null") == "ok:");
  CHECK(putError(R"({"key":"YQ=="} trailing)") == "ok:key: \"a\"");
  CHECK(putError(R"({"key":"YQ==","key":"Yg=="})") == "ok:key: \"b\"");
  CHECK(putError(R"({"key":"YQ==","unknown":{"x":[1]}})") == "ok:key: \"a\"");
  CHECK(putError(R"({"key":"YQ==","prevKv":true,"prev_kv":"x"})") == "ok:key: \"a\" prev_kv: true");
  CHECK(putError(R"({"key":[97,98],"lease":" 7 "})") == "ok:key: \"ab\" lease: 7");
}

TEST_CASE("wrong types name Go's types") {
  CHECK(putError("[]") ==
        "json: cannot unmarshal array into Go value of type map[string]json.RawMessage");
  CHECK(putError(R"({"key":5})") == "json: cannot unmarshal number into Go value of type []uint8");
  CHECK(putError(R"({"key":"YQ==","lease":1.5})") ==
        "json: cannot unmarshal number 1.5 into Go value of type int64");
  CHECK(putError(R"({"key":"YQ==","lease":"abc"})") ==
        "invalid character 'a' looking for beginning of value");
  CHECK(putError(R"({"key":"YQ==","lease":""})") == "unexpected end of JSON input");
  CHECK(putError(R"({"key":"YQ==","lease":"0x10"})") ==
        "invalid character 'x' after top-level value");
  CHECK(putError(R"({"key":"YQ==","prev_kv":"yes"})") ==
        "json: cannot unmarshal string into Go value of type bool");
  CHECK(putError(R"({"key":[300]})") ==
        "json: cannot unmarshal number 300 into Go value of type uint8");
  etcdserverpb::RangeRequest range;
  std::string error;
  CHECK_FALSE(decodeGatewayBody(R"({"sort_order":"NOPE"})", &range, &error));
  CHECK(error == "unknown value \"NOPE\" for enum etcdserverpb.RangeRequest_SortOrder");
  CHECK_FALSE(decodeGatewayBody(R"({"sort_order":4294967296})", &range, &error));
  CHECK(error ==
        "json: cannot unmarshal number 4294967296 into Go value of type "
        "etcdserverpb.RangeRequest_SortOrder");
}

TEST_CASE("oneofs and nested messages decode; a null element is an empty one") {
  etcdserverpb::TxnRequest txn;
  std::string error;
  REQUIRE(decodeGatewayBody(
      R"({"success":[null,{"requestPut":{"key":"YQ=="}},{"request_txn":{"failure":[{}]}}]})", &txn,
      &error));
  REQUIRE(txn.success_size() == 3);
  CHECK(txn.success(0).request_case() == etcdserverpb::RequestOp::REQUEST_NOT_SET);
  CHECK(txn.success(1).request_put().key() == "a");
  CHECK(txn.success(2).request_txn().failure_size() == 1);
  // etcd's own gateway panics on the null element and drops the connection;
  // Cairn treats it as an empty operation, which the kernel then judges.
}

TEST_CASE("base64 as Go decodes it, offsets included") {
  std::string out, error;
  CHECK(goBase64Decode("YWJj\r\nZA==", &out, &error));
  CHECK(out == "abcd");
  CHECK_FALSE(goBase64Decode("YQ", &out, &error));
  CHECK(error == "illegal base64 data at input byte 0");
  CHECK_FALSE(goBase64Decode("YQ=", &out, &error));
  CHECK(error == "illegal base64 data at input byte 3");
  CHECK_FALSE(goBase64Decode("YWJj=", &out, &error));
  CHECK(error == "illegal base64 data at input byte 4");
  CHECK_FALSE(goBase64Decode("YQ==YQ==", &out, &error));
  CHECK(error == "illegal base64 data at input byte 4");
  CHECK_FALSE(goBase64Decode("!!!", &out, &error));
  CHECK(error == "illegal base64 data at input byte 0");
}

TEST_CASE("a whole text is one value with space around it, or Go's error") {
  GoJsonNode node;
  std::string error;
  CHECK(parseGoJsonWhole(" 12 ", &node, &error));
  CHECK(node.raw == "12");
  CHECK_FALSE(parseGoJsonWhole("1 2", &node, &error));
  CHECK(error == "invalid character '2' after top-level value");
  CHECK_FALSE(parseGoJsonWhole("", &node, &error));
  CHECK(error == "unexpected end of JSON input");
  CHECK(parseGoJsonWhole(R"("\ud83d\ude00\ud800x")", &node, &error));
  CHECK(node.text == "\xF0\x9F\x98\x80\xEF\xBF\xBDx");
}
