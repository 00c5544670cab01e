// The Cluster and Maintenance services reach the kernel's Cluster
// and Maintenance; Maintenance.Snapshot streams the kernel's StreamCall.
#include <google/protobuf/util/message_differencer.h>

#include <thread>

#include "cairn/errors.h"
#include "test_server.h"

using cairn::Status;
using cairn::StatusCode;
using cairn::api::test::contextWithDeadline;
using cairn::api::test::failOn;
using cairn::api::test::FakeStreamCall;
using cairn::api::test::replyOn;
using cairn::api::test::ServedKv;
using google::protobuf::util::MessageDifferencer;
namespace pb = etcdserverpb;
using namespace std::chrono_literals;

TEST_CASE("MemberList round-trips through the kernel's Cluster", "[cluster]") {
  ServedKv s;
  pb::MemberListResponse scripted;
  *scripted.mutable_header() = s.host.fakeCluster().header(3);
  auto* m = scripted.add_members();
  m->set_id(10276657743932975437ull);
  m->set_name("default");
  m->add_peerurls("http://localhost:2380");
  m->add_clienturls("http://localhost:2379");
  s.host.fakeCluster().memberListMethod.script(replyOn<pb::MemberListRequest>(s.kernel, scripted));

  pb::MemberListRequest request;
  auto context = contextWithDeadline();
  context->AddMetadata("token", "admin");
  pb::MemberListResponse response;
  REQUIRE(s.cluster->MemberList(context.get(), request, &response).ok());
  CHECK(MessageDifferencer::Equals(response, scripted));
  CHECK(s.host.fakeCluster().memberListMethod.requests().size() == 1);
  CHECK(s.host.fakeCluster().memberListMethod.contexts().at(0).token == "admin");
}

TEST_CASE("Membership changes round-trip through the kernel's Cluster", "[cluster]") {
  ServedKv s;
  auto& cluster = s.host.fakeCluster();
  pb::MemberRemoveResponse removed;
  removed.add_members()->set_id(7);
  cluster.memberRemoveMethod.script(replyOn<pb::MemberRemoveRequest>(s.kernel, removed));
  cluster.memberUpdateMethod.script(failOn<pb::MemberUpdateRequest, pb::MemberUpdateResponse>(
      s.kernel, Status(cairn::Error::MemberNotFound)));
  cluster.memberPromoteMethod.script(failOn<pb::MemberPromoteRequest, pb::MemberPromoteResponse>(
      s.kernel, Status(cairn::Error::LearnerNotReady)));

  pb::MemberRemoveRequest remove;
  remove.set_id(9);
  pb::MemberRemoveResponse removeResponse;
  auto c1 = contextWithDeadline();
  REQUIRE(s.cluster->MemberRemove(c1.get(), remove, &removeResponse).ok());
  CHECK(MessageDifferencer::Equals(removeResponse, removed));
  CHECK(cluster.memberRemoveMethod.requests().at(0).id() == 9);

  pb::MemberUpdateRequest update;
  update.set_id(9);
  update.add_peerurls("http://127.0.0.1:2380");
  pb::MemberUpdateResponse updateResponse;
  auto c2 = contextWithDeadline();
  grpc::Status st = s.cluster->MemberUpdate(c2.get(), update, &updateResponse);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(st.error_message() == "etcdserver: member not found");
  CHECK(cluster.memberUpdateMethod.requests().at(0).peerurls(0) == "http://127.0.0.1:2380");

  pb::MemberPromoteRequest promote;
  promote.set_id(9);
  pb::MemberPromoteResponse promoteResponse;
  auto c3 = contextWithDeadline();
  st = s.cluster->MemberPromote(c3.get(), promote, &promoteResponse);
  CHECK(st.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(st.error_message() ==
        "etcdserver: can only promote a learner member which is in sync with leader");
}

TEST_CASE("Maintenance unary methods round-trip through the kernel", "[maintenance]") {
  ServedKv s;
  auto& m = s.host.fakeMaintenance();
  pb::StatusResponse status;
  status.set_version("3.4.23");
  status.set_dbsize(4096);
  status.set_leader(7);
  m.statusMethod.script(replyOn<pb::StatusRequest>(s.kernel, status));
  pb::DefragmentResponse defrag;
  defrag.mutable_header()->set_revision(4);
  m.defragmentMethod.script(replyOn<pb::DefragmentRequest>(s.kernel, defrag));
  pb::AlarmResponse alarm;
  alarm.add_alarms()->set_alarm(pb::NOSPACE);
  m.alarmMethod.script(replyOn<pb::AlarmRequest>(s.kernel, alarm));
  pb::HashResponse hash;
  hash.set_hash(0xdeadbeef);
  m.hashMethod.script(replyOn<pb::HashRequest>(s.kernel, hash));
  pb::HashKVResponse hashKv;
  hashKv.set_hash(0xfeed);
  hashKv.set_compact_revision(2);
  m.hashKvMethod.script(replyOn<pb::HashKVRequest>(s.kernel, hashKv));

  {
    auto c = contextWithDeadline();
    pb::StatusResponse r;
    REQUIRE(s.maintenance->Status(c.get(), pb::StatusRequest(), &r).ok());
    CHECK(MessageDifferencer::Equals(r, status));
  }
  {
    auto c = contextWithDeadline();
    pb::DefragmentResponse r;
    REQUIRE(s.maintenance->Defragment(c.get(), pb::DefragmentRequest(), &r).ok());
    CHECK(MessageDifferencer::Equals(r, defrag));
  }
  {
    auto c = contextWithDeadline();
    pb::AlarmRequest req;
    req.set_action(pb::AlarmRequest::GET);
    pb::AlarmResponse r;
    REQUIRE(s.maintenance->Alarm(c.get(), req, &r).ok());
    CHECK(MessageDifferencer::Equals(r, alarm));
    CHECK(m.alarmMethod.requests().at(0).action() == pb::AlarmRequest::GET);
  }
  {
    auto c = contextWithDeadline();
    pb::HashResponse r;
    REQUIRE(s.maintenance->Hash(c.get(), pb::HashRequest(), &r).ok());
    CHECK(r.hash() == 0xdeadbeef);
  }
  {
    auto c = contextWithDeadline();
    pb::HashKVRequest req;
    req.set_revision(9);
    pb::HashKVResponse r;
    REQUIRE(s.maintenance->HashKV(c.get(), req, &r).ok());
    CHECK(MessageDifferencer::Equals(r, hashKv));
    CHECK(m.hashKvMethod.requests().at(0).revision() == 9);
  }
}

TEST_CASE("Maintenance methods the kernel has not built answer its UNIMPLEMENTED",
          "[maintenance]") {
  ServedKv s;
  s.host.fakeMaintenance().moveLeaderMethod.script(
      failOn<pb::MoveLeaderRequest, pb::MoveLeaderResponse>(
          s.kernel, Status(StatusCode::Unimplemented,
                           "etcdserverpb.Maintenance.MoveLeader is not implemented in this Cairn "
                           "build")));
  auto c = contextWithDeadline();
  pb::MoveLeaderResponse r;
  const grpc::Status status = s.maintenance->MoveLeader(c.get(), pb::MoveLeaderRequest(), &r);
  CHECK(status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
  CHECK(status.error_message() ==
        "etcdserverpb.Maintenance.MoveLeader is not implemented in this Cairn build");
}

TEST_CASE("Snapshot streams the kernel's chunks in order", "[maintenance][snapshot]") {
  ServedKv s;
  auto context = contextWithDeadline();
  auto reader = s.maintenance->Snapshot(context.get(), pb::SnapshotRequest());
  std::shared_ptr<FakeStreamCall> call = s.host.fakeMaintenance().snapshots.waitForCall(0, 10s);
  REQUIRE(call);
  REQUIRE(call->waitForMessages(1, 10s));

  constexpr int kChunks = 64;
  std::thread producer([&] {
    for (int i = 0; i < kChunks; ++i) {
      auto chunk = std::make_unique<pb::SnapshotResponse>();
      chunk->set_remaining_bytes(static_cast<uint64_t>(kChunks - 1 - i));
      chunk->set_blob(std::string(32 * 1024, static_cast<char>('a' + i % 26)));
      call->push(std::move(chunk));
    }
    call->finish(Status::ok());
  });
  pb::SnapshotResponse chunk;
  int got = 0;
  while (reader->Read(&chunk)) {
    CHECK(chunk.remaining_bytes() == static_cast<uint64_t>(kChunks - 1 - got));
    CHECK(chunk.blob()[0] == static_cast<char>('a' + got % 26));
    ++got;
  }
  producer.join();
  CHECK(got == kChunks);
  CHECK(reader->Finish().ok());
  CHECK(call->waitClosed(10s));
}

TEST_CASE("Cancelling a Snapshot closes the kernel's stream", "[maintenance][snapshot]") {
  ServedKv s;
  auto context = contextWithDeadline();
  auto reader = s.maintenance->Snapshot(context.get(), pb::SnapshotRequest());
  std::shared_ptr<FakeStreamCall> call = s.host.fakeMaintenance().snapshots.waitForCall(0, 10s);
  REQUIRE(call);
  context->TryCancel();
  CHECK(call->waitClosed(10s));
  CHECK(call->context().cancelled());
  CHECK(reader->Finish().error_code() == grpc::StatusCode::CANCELLED);
}
