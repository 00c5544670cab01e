// etcd's own client (etcdctl 3.4, grpc-go) against the plugin and the fake
// kernel: the wire protocol, HTTP/2 settings and error texts as it sees them.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "cairn/errors.h"
#include "test_server.h"

using cairn::Status;
using cairn::StatusCode;
using cairn::api::test::failOn;
using cairn::api::test::replyOn;
using cairn::api::test::ServedKv;
namespace pb = etcdserverpb;

namespace {

struct Run {
  int exitCode;
  std::string output;  // stdout and stderr
};

Run etcdctl(const std::string& endpoint, const std::string& args) {
  const std::string command =
      "ETCDCTL_API=3 etcdctl --dial-timeout=5s --command-timeout=10s "
      "--endpoints=" +
      endpoint + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  Run run{0, {}};
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace

TEST_CASE("etcdctl put and get go through the plugin", "[etcdctl]") {
  REQUIRE(std::system("command -v etcdctl >/dev/null") == 0);  // installed with the deps
  ServedKv s;
  const std::string endpoint = s.address;

  pb::PutResponse put;
  put.mutable_header()->set_revision(2);
  s.fake().putMethod.script(replyOn<pb::PutRequest>(s.kernel, put));
  const Run putRun = etcdctl(endpoint, "put foo bar");
  INFO(putRun.output);
  CHECK(putRun.exitCode == 0);
  CHECK(putRun.output == "OK\n");
  REQUIRE(s.fake().putMethod.requests().size() == 1);
  CHECK(s.fake().putMethod.requests()[0].key() == "foo");
  CHECK(s.fake().putMethod.requests()[0].value() == "bar");

  pb::RangeResponse range;
  range.mutable_header()->set_revision(2);
  auto* kv = range.add_kvs();
  kv->set_key("foo");
  kv->set_value("bar");
  range.set_count(1);
  s.fake().rangeMethod.script(replyOn<pb::RangeRequest>(s.kernel, range));
  const Run getRun = etcdctl(endpoint, "get foo");
  INFO(getRun.output);
  CHECK(getRun.exitCode == 0);
  CHECK(getRun.output == "foo\nbar\n");
}

TEST_CASE("etcdctl shows kernel errors and unimplemented services", "[etcdctl]") {
  ServedKv s;
  const std::string endpoint = s.address;
  s.fake().rangeMethod.script(failOn<pb::RangeRequest, pb::RangeResponse>(
      s.kernel,
      Status(StatusCode::OutOfRange, "etcdserver: mvcc: required revision has been compacted")));
  const Run getRun = etcdctl(endpoint, "get foo --rev=1");
  INFO(getRun.output);
  CHECK(getRun.exitCode != 0);
  CHECK_THAT(getRun.output,
             Catch::Contains("etcdserver: mvcc: required revision has been compacted"));

  // Membership changes reach the kernel, whose errors etcdctl prints.
  s.host.fakeCluster().memberAddMethod.script(failOn<pb::MemberAddRequest, pb::MemberAddResponse>(
      s.kernel, Status(cairn::Error::PeerUrlExist)));
  const Run memberRun = etcdctl(endpoint, "member add n2 --peer-urls=http://127.0.0.1:12380");
  INFO(memberRun.output);
  CHECK(memberRun.exitCode != 0);
  CHECK_THAT(memberRun.output, Catch::Contains("etcdserver: Peer URLs already exists"));
  const auto adds = s.host.fakeCluster().memberAddMethod.requests();
  REQUIRE(adds.size() == 1);
  CHECK(adds[0].peerurls(0) == "http://127.0.0.1:12380");
}

TEST_CASE("etcdctl member list and endpoint status go through the kernel", "[etcdctl]") {
  ServedKv s;
  const std::string endpoint = s.address;
  pb::MemberListResponse members;
  members.mutable_header()->set_revision(1);
  auto* m = members.add_members();
  m->set_id(0x8e9e05c52164694d);
  m->set_name("default");
  m->add_peerurls("http://localhost:2380");
  m->add_clienturls("http://" + endpoint);
  s.host.fakeCluster().memberListMethod.script(replyOn<pb::MemberListRequest>(s.kernel, members));
  const Run listRun = etcdctl(endpoint, "member list");
  INFO(listRun.output);
  CHECK(listRun.exitCode == 0);
  CHECK(listRun.output == "8e9e05c52164694d, started, default, http://localhost:2380, http://" +
                              endpoint + ", false\n");

  // Maintenance.Status errors from the kernel reach etcdctl verbatim.
  s.host.fakeMaintenance().statusMethod.script(failOn<pb::StatusRequest, pb::StatusResponse>(
      s.kernel, Status(StatusCode::Unimplemented,
                       "etcdserverpb.Maintenance.Status is not implemented in this Cairn build")));
  const Run statusRun = etcdctl(endpoint, "endpoint status");
  INFO(statusRun.output);
  CHECK(statusRun.exitCode != 0);
  CHECK_THAT(
      statusRun.output,
      Catch::Contains("etcdserverpb.Maintenance.Status is not implemented in this Cairn build"));
}

TEST_CASE("etcdctl lease grant, keep-alive --once and watch go through the plugin", "[etcdctl]") {
  ServedKv s;
  const std::string endpoint = s.address;

  pb::LeaseGrantResponse grant;
  grant.mutable_header()->set_revision(2);
  grant.set_id(0x694d7d2a4f4b3f05);
  grant.set_ttl(10);
  s.fakeLease().grantMethod.script(replyOn<pb::LeaseGrantRequest>(s.kernel, grant));
  const Run grantRun = etcdctl(endpoint, "lease grant 10");
  INFO(grantRun.output);
  CHECK(grantRun.exitCode == 0);
  CHECK(grantRun.output == "lease 694d7d2a4f4b3f05 granted with TTL(10s)\n");
  REQUIRE(s.fakeLease().grantMethod.requests().size() == 1);
  CHECK(s.fakeLease().grantMethod.requests()[0].ttl() == 10);

  pb::LeaseKeepAliveResponse kept;
  kept.mutable_header()->set_revision(2);
  kept.set_id(0x694d7d2a4f4b3f05);
  kept.set_ttl(10);
  s.fakeLease().keepAliveMethod.script(replyOn<pb::LeaseKeepAliveRequest>(s.kernel, kept));
  const Run keepRun = etcdctl(endpoint, "lease keep-alive --once 694d7d2a4f4b3f05");
  INFO(keepRun.output);
  CHECK(keepRun.exitCode == 0);
  CHECK(keepRun.output == "lease 694d7d2a4f4b3f05 keepalived with TTL(10)\n");

  // etcdctl watch runs until killed: it is stopped after two seconds and
  // only what it printed is checked.
  s.fakeWatch().scriptRequests(
      [](const pb::WatchRequest& req, cairn::api::test::FakeWatchSession& session) {
        if (!req.has_create_request()) return;
        pb::WatchResponse created;
        created.mutable_header()->set_revision(2);
        created.set_created(true);
        session.push(std::move(created));
        pb::WatchResponse r;
        r.mutable_header()->set_revision(3);
        auto* e = r.add_events();
        e->mutable_kv()->set_key("foo");
        e->mutable_kv()->set_value("bar");
        e->mutable_kv()->set_mod_revision(3);
        session.push(std::move(r));
      });
  const Run watchRun = etcdctl(endpoint, "watch foo & sleep 2; kill $!");
  INFO(watchRun.output);
  CHECK(watchRun.output == "PUT\nfoo\nbar\n");
  REQUIRE(s.fakeWatch().sessionCount() >= 1);
  const auto session = s.fakeWatch().waitForSession(0, std::chrono::seconds(1));
  REQUIRE(session);
  CHECK(session->waitClosed(std::chrono::seconds(10)));
  REQUIRE(session->requests().size() >= 1);
  CHECK(session->requests()[0].create_request().key() == "foo");
}
