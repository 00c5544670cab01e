// etcd 3.4's auto compaction schedule (v3compactor) with a fake clock: which
// revision is compacted when, in periodic and revision mode; and how
// --auto-compaction-retention is read.
#include <catch2/catch.hpp>

#include "auto_compaction_schedule.h"
#include "config/config.h"

using namespace cairn;
using namespace cairn::server;
using Mode = AutoCompactionSchedule::Mode;
using namespace std::chrono_literals;

namespace {

// Drives the schedule as the compactor's loop does: one round per
// interval, the revision growing by `perRound` each round; returns the
// compacted revisions by round number.
std::vector<std::pair<int, int64_t>> run(AutoCompactionSchedule& s, int rounds, int64_t perRound,
                                         AutoCompactionSchedule::TimePoint& now, int64_t& rev,
                                         bool paused = false) {
  std::vector<std::pair<int, int64_t>> out;
  for (int i = 1; i <= rounds; ++i) {
    s.beginRound(rev);
    now += s.interval();
    rev += perRound;
    if (auto r = s.due(now, rev, paused)) {
      out.emplace_back(i, *r);
      s.finished(*r, true, now);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("periodic: the revision of one period ago, every period up to an hour",
          "[autocompaction]") {
  AutoCompactionSchedule::TimePoint now{};
  int64_t rev = 1;
  AutoCompactionSchedule s(Mode::Periodic, std::chrono::nanoseconds(10s).count(), now);
  CHECK(s.interval() == 1s);
  // Nothing for the first 10 s; then each round (1 s) once 10 s passed
  // since the last success: rounds 10, 20, ...; the revision recorded 10
  // rounds earlier.
  auto got = run(s, 30, 10, now, rev);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == std::make_pair(10, int64_t{1}));
  CHECK(got[1] == std::make_pair(20, int64_t{91}));
  CHECK(got[2] == std::make_pair(30, int64_t{191}));
}

TEST_CASE("periodic: a period over an hour waits the period once, then compacts hourly",
          "[autocompaction]") {
  AutoCompactionSchedule::TimePoint now{};
  int64_t rev = 1;
  AutoCompactionSchedule s(Mode::Periodic, std::chrono::nanoseconds(2h).count(), now);
  CHECK(s.interval() == 6min);
  // 2 h = 20 rounds of 6 min; then every hour (10 rounds). The window holds
  // 2h / 6min + 1 = 21 revisions: the oldest is 20 rounds back.
  auto got = run(s, 40, 100, now, rev);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == std::make_pair(20, int64_t{1}));
  CHECK(got[1] == std::make_pair(30, int64_t{1 + 100 * 9}));
  CHECK(got[2] == std::make_pair(40, int64_t{1 + 100 * 19}));
}

TEST_CASE("periodic: paused (not the leader) records but does not compact, a failure retries",
          "[autocompaction]") {
  AutoCompactionSchedule::TimePoint now{};
  int64_t rev = 1;
  AutoCompactionSchedule s(Mode::Periodic, std::chrono::nanoseconds(1s).count(), now);
  CHECK(run(s, 15, 1, now, rev, true).empty());
  s.beginRound(rev);
  now += s.interval();
  auto due = s.due(now, rev, false);
  REQUIRE(due);
  CHECK(*due == rev - 10);  // the window kept the last 11 rounds
  s.finished(*due, false, now);
  s.beginRound(rev);
  now += s.interval();
  CHECK(s.due(now, rev, false));  // retried the next round
}

TEST_CASE("revision: current minus retention every 5 minutes, not twice the same",
          "[autocompaction]") {
  AutoCompactionSchedule::TimePoint now{};
  int64_t rev = 1;
  AutoCompactionSchedule s(Mode::Revision, 100, now);
  CHECK(s.interval() == 5min);
  // rev after round i: 1 + 50 i; compact rev - 100 when > 0.
  auto got = run(s, 4, 50, now, rev);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == std::make_pair(2, int64_t{1}));
  CHECK(got[1] == std::make_pair(3, int64_t{51}));
  CHECK(got[2] == std::make_pair(4, int64_t{101}));
  // No new writes: the same revision is not compacted again.
  CHECK(run(s, 2, 0, now, rev).empty());
}

TEST_CASE("auto compaction: the retention flag read as etcd reads it", "[autocompaction][config]") {
  int64_t v = -1;
  CHECK(config::parseCompactionRetention("periodic", "1", &v).isOk());
  CHECK(v == std::chrono::nanoseconds(1h).count());
  CHECK(config::parseCompactionRetention("periodic", "30m", &v).isOk());
  CHECK(v == std::chrono::nanoseconds(30min).count());
  CHECK(config::parseCompactionRetention("revision", "1000", &v).isOk());
  CHECK(v == 1000);
  CHECK(config::parseCompactionRetention("periodic", "0", &v).isOk());
  CHECK(v == 0);
  CHECK(config::parseCompactionRetention("periodic", "abc", &v).message() ==
        "error parsing CompactionRetention: time: invalid duration \"abc\"");
}
