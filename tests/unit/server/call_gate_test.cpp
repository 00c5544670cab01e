#include "server/call_gate.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "cairn/errors.h"
#include "server/leader_monitor.h"

using cairn::Error;
using cairn::RequestContext;
using cairn::Status;
using cairn::server::CallGate;
using cairn::server::LeaderMonitor;

namespace {

struct Member {
  uint64_t leader = 1;
  bool learner = false;
  CallGate gate{CallGate::Probes{[this] { return leader; }, [this] { return learner; }, {}}};
};

}  // namespace

TEST_CASE("a voter with a leader admits every call") {
  Member m;
  RequestContext ctx;
  ctx.requireLeader = true;
  CHECK(m.gate.admit(ctx));
  CHECK(m.gate.admitOnLearner(ctx));
}

TEST_CASE("a learner refuses what etcd's learner refuses, with etcd's error") {
  Member m;
  m.learner = true;
  RequestContext ctx;
  Status st = m.gate.admit(ctx);
  CHECK(st.is(Error::NotSupportedForLearner));
  CHECK(st.message() == "etcdserver: rpc not supported for learner");
  CHECK(st.code() == cairn::StatusCode::Unavailable);
  // Status and serializable Range are served.
  CHECK(m.gate.admitOnLearner(ctx));
  // The kernel's and plugins' own calls are never refused.
  CHECK(m.gate.admit(RequestContext::internal()));
}

TEST_CASE("without a leader only the clients that require one are refused") {
  Member m;
  m.leader = 0;
  RequestContext plain;
  CHECK(m.gate.admit(plain));
  RequestContext strict;
  strict.requireLeader = true;
  CHECK(m.gate.admit(strict).is(Error::NoLeader));
  CHECK(m.gate.admitOnLearner(strict).is(Error::NoLeader));
  SECTION("a learner's refusal comes first, as in etcd's interceptor") {
    m.learner = true;
    CHECK(m.gate.admit(strict).is(Error::NotSupportedForLearner));
  }
}

TEST_CASE("the leader monitor ends watched streams after three checks without a leader") {
  uint64_t leader = 0;
  LeaderMonitor monitor([&] { return leader; });
  int ended = 0;
  Status why;
  monitor.watch([&](const Status& st) {
    ++ended;
    why = st;
  });
  monitor.check();
  monitor.check();
  CHECK(ended == 0);
  monitor.check();
  CHECK(ended == 1);
  CHECK(why.is(Error::NoLeader));
  // Forgotten once ended.
  for (int i = 0; i < 6; ++i) monitor.check();
  CHECK(ended == 1);
}

TEST_CASE("a leader seen between checks starts the count again") {
  uint64_t leader = 0;
  LeaderMonitor monitor([&] { return leader; });
  int ended = 0;
  monitor.watch([&](const Status&) { ++ended; });
  monitor.check();
  monitor.check();
  leader = 2;
  monitor.check();
  leader = 0;
  monitor.check();
  monitor.check();
  CHECK(ended == 0);
  monitor.check();
  CHECK(ended == 1);
}

TEST_CASE("an unwatched stream is never ended") {
  uint64_t leader = 0;
  LeaderMonitor monitor([&] { return leader; });
  int ended = 0;
  const uint64_t token = monitor.watch([&](const Status&) { ++ended; });
  monitor.unwatch(token);
  for (int i = 0; i < 3; ++i) monitor.check();
  CHECK(ended == 0);
}

TEST_CASE("the monitor's thread checks on its own and stops promptly") {
  std::atomic<uint64_t> leader{0};
  LeaderMonitor monitor([&] { return leader.load(); });
  std::atomic<int> ended{0};
  monitor.watch([&](const Status&) { ++ended; });
  monitor.start(std::chrono::milliseconds(5));
  for (int i = 0; i < 2000 && ended.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  monitor.stop();
  CHECK(ended.load() == 1);
}

TEST_CASE("a keep-alive message is refused for a learner, and for a lost leader only") {
  uint64_t leader = 0;
  bool learner = false;
  LeaderMonitor monitor([&] { return leader; });
  CallGate gate{CallGate::Probes{[&] { return leader; }, [&] { return learner; },
                                 [&] { return monitor.leaderLost(); }}};
  RequestContext strict;
  strict.requireLeader = true;
  RequestContext lenient;
  // A brief election (fewer than three checks without a leader) ends nothing.
  monitor.check();
  monitor.check();
  CHECK_FALSE(monitor.leaderLost());
  CHECK(gate.admitStreamMessage(strict));
  // The third check: a stream that required a leader ends at its next message.
  monitor.check();
  CHECK(monitor.leaderLost());
  CHECK(gate.admitStreamMessage(strict).is(Error::NoLeader));
  CHECK(gate.admitStreamMessage(lenient));
  RequestContext trusted = strict;
  trusted.trusted = true;
  CHECK(gate.admitStreamMessage(trusted));
  // Still lost at later checks, until a leader is seen again.
  monitor.check();
  CHECK(monitor.leaderLost());
  leader = 3;
  monitor.check();
  CHECK_FALSE(monitor.leaderLost());
  CHECK(gate.admitStreamMessage(strict));
  learner = true;
  CHECK(gate.admitStreamMessage(strict).is(Error::NotSupportedForLearner));
}
