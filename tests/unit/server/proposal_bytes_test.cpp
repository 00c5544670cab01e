// serializeWithField: the proposal bytes of a request not copied into its
// InternalRaftRequest are the message's own.
#include "server/proposal_bytes.h"

#include <catch2/catch.hpp>
#include <string>

using etcdserverpb::InternalRaftRequest;

namespace {

InternalRaftRequest withHeader() {
  InternalRaftRequest ir;
  ir.mutable_header()->set_id(0x1234567890abcdefULL);
  ir.mutable_header()->set_username("alice");
  ir.mutable_header()->set_auth_revision(7);
  return ir;
}

}  // namespace

TEST_CASE("a request serialized beside its header gives the message's own bytes", "[proposal]") {
  SECTION("put, with a value longer than one varint byte of length") {
    etcdserverpb::PutRequest put;
    put.set_key("some/key");
    put.set_value(std::string(300, 'v'));
    put.set_lease(42);
    put.set_prev_kv(true);
    InternalRaftRequest full = withHeader();
    *full.mutable_put() = put;
    const std::string bytes =
        cairn::server::serializeWithField(withHeader(), InternalRaftRequest::kPutFieldNumber, put);
    CHECK(bytes == full.SerializeAsString());
    InternalRaftRequest parsed;
    REQUIRE(parsed.ParseFromString(bytes));
    CHECK(parsed.put().value() == put.value());
    CHECK(parsed.header().id() == 0x1234567890abcdefULL);
  }
  SECTION("txn and delete_range") {
    etcdserverpb::TxnRequest txn;
    auto* cmp = txn.add_compare();
    cmp->set_key("k");
    cmp->set_version(3);
    txn.add_success()->mutable_request_put()->set_key("k");
    InternalRaftRequest full = withHeader();
    *full.mutable_txn() = txn;
    CHECK(cairn::server::serializeWithField(withHeader(), InternalRaftRequest::kTxnFieldNumber,
                                            txn) == full.SerializeAsString());
    etcdserverpb::DeleteRangeRequest del;
    del.set_key("a");
    del.set_range_end("z");
    InternalRaftRequest fullDel = withHeader();
    *fullDel.mutable_delete_range() = del;
    CHECK(cairn::server::serializeWithField(withHeader(),
                                            InternalRaftRequest::kDeleteRangeFieldNumber,
                                            del) == fullDel.SerializeAsString());
  }
  SECTION("an empty request still sets its field") {
    etcdserverpb::PutRequest empty;
    const std::string bytes = cairn::server::serializeWithField(
        withHeader(), InternalRaftRequest::kPutFieldNumber, empty);
    InternalRaftRequest parsed;
    REQUIRE(parsed.ParseFromString(bytes));
    CHECK(parsed.has_put());
    InternalRaftRequest full = withHeader();
    full.mutable_put();
    CHECK(bytes == full.SerializeAsString());
  }
}
