// Membership changes on a simulated 3-member cluster: proposed as raft conf
// changes from any member, refused with etcd's errors by the checks every
// member applies alike, and rebuilt the same after a restart (a refused
// change stays refused when the log is replayed).
#include <catch2/catch.hpp>
#include <set>

#include "cairn/errors.h"
#include "sim_cluster.h"

using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

namespace pb = etcdserverpb;

std::pair<Status, pb::MemberAddResponse> add(Server& s, std::vector<std::string> urls,
                                             bool learner) {
  pb::MemberAddRequest req;
  for (auto& u : urls) req.add_peerurls(u);
  req.set_islearner(learner);
  return call<pb::MemberAddResponse>(
      [&](auto done) { s.cluster().memberAdd(RequestContext(), req, std::move(done)); });
}

Status promote(Server& s, uint64_t id) {
  pb::MemberPromoteRequest req;
  req.set_id(id);
  return call<pb::MemberPromoteResponse>(
             [&](auto done) { s.cluster().memberPromote(RequestContext(), req, std::move(done)); })
      .first;
}

Status update(Server& s, uint64_t id, const std::string& url) {
  pb::MemberUpdateRequest req;
  req.set_id(id);
  req.add_peerurls(url);
  return call<pb::MemberUpdateResponse>(
             [&](auto done) { s.cluster().memberUpdate(RequestContext(), req, std::move(done)); })
      .first;
}

Status remove(Server& s, uint64_t id) {
  pb::MemberRemoveRequest req;
  req.set_id(id);
  return call<pb::MemberRemoveResponse>(
             [&](auto done) { s.cluster().memberRemove(RequestContext(), req, std::move(done)); })
      .first;
}

// Waits until every member lists exactly `ids`.
bool converged(SimCluster& c, const std::set<uint64_t>& ids) {
  for (int attempt = 0; attempt < 300; ++attempt) {
    bool all = true;
    for (auto& m : c.members) {
      std::set<uint64_t> seen;
      for (const MemberInfo& info : m->cluster().members()) seen.insert(info.id);
      all = all && seen == ids;
    }
    if (all) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST_CASE("membership changes are replicated with etcd's checks and survive a restart",
          "[cluster]") {
  SimCluster c(/*strictReconfigCheck=*/false);
  Server* leader = c.leader();
  REQUIRE(leader != nullptr);
  Server* follower = c.members[0].get() == leader ? c.members[1].get() : c.members[0].get();
  std::set<uint64_t> ids;
  for (const MemberInfo& info : leader->cluster().members()) ids.insert(info.id);

  // A learner added through a follower.
  auto [st, added] = add(*follower, {"http://127.0.0.1:7009"}, true);
  REQUIRE(st.isOk());
  const uint64_t learner = added.member().id();
  REQUIRE(added.member().islearner());
  REQUIRE(added.members_size() == 4);
  ids.insert(learner);
  REQUIRE(converged(c, ids));

  CHECK(add(*leader, {"http://127.0.0.1:7010"}, true).first.is(Error::TooManyLearners));
  CHECK(add(*leader, {"http://127.0.0.1:7009", "http://127.0.0.1:7011"}, false)
            .first.is(Error::PeerUrlExist));
  CHECK(add(*leader, {"ftp://127.0.0.1:7011"}, false).first.is(Error::MemberBadUrls));
  // Only the leader knows the learner's progress (it never started): a
  // follower hands the promotion to it and returns its answer.
  CHECK(promote(*follower, learner).is(Error::LearnerNotReady));
  CHECK(promote(*leader, learner).is(Error::LearnerNotReady));
  CHECK(promote(*follower, 0x1234).is(Error::MemberNotFound));
  CHECK(promote(*follower, leader->memberId()).is(Error::MemberNotLearner));
  CHECK(promote(*leader, leader->memberId()).is(Error::MemberNotLearner));

  REQUIRE(update(*follower, learner, "http://localhost:7009").isOk());
  CHECK(update(*leader, 0x1234, "http://localhost:7012").is(Error::MemberNotFound));
  CHECK(update(*leader, learner, c.options[0].advertisePeerUrls[0]).is(Error::PeerUrlExist));
  for (const MemberInfo& info : follower->cluster().members()) {
    if (info.id == learner) {
      REQUIRE(info.peerUrls == std::vector<std::string>{"http://localhost:7009"});
      REQUIRE(info.isLearner);
    }
  }

  REQUIRE(remove(*leader, learner).isOk());
  ids.erase(learner);
  REQUIRE(converged(c, ids));
  CHECK(remove(*leader, learner).is(Error::MemberNotFound));

  // A restarted member re-applies the log, refused changes included, and
  // ends with the same members.
  const int again = c.members[0].get() == leader ? 1 : 0;
  c.members[again]->stop();
  c.members[again].reset();
  c.members[again] = c.make(again);
  REQUIRE(c.members[again]->start().isOk());
  REQUIRE(converged(c, ids));
  REQUIRE(put(*c.members[again], "after", "v").first.isOk());
}
