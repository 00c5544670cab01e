#include "server/wait_registry.h"

#include <catch2/catch.hpp>

using cairn::Status;
using cairn::StatusCode;
using cairn::server::ApplyResult;
using cairn::server::WaitRegistry;

TEST_CASE("a waiter is completed once, by its id") {
  WaitRegistry w;
  int calls = 0;
  StatusCode got = StatusCode::Unknown;
  w.add(
      7,
      [&](ApplyResult&& r) {
        ++calls;
        got = r.status.code();
      },
      WaitRegistry::Clock::now() + std::chrono::hours(1));
  w.trigger(8, ApplyResult{});  // someone else's entry: no effect
  CHECK(calls == 0);
  w.trigger(7, ApplyResult{Status::ok(), nullptr});
  w.trigger(7, ApplyResult{Status(StatusCode::Internal, "again"), nullptr});
  CHECK(calls == 1);
  CHECK(got == StatusCode::Ok);
}

TEST_CASE("expired waiters fail with the given status, live ones stay") {
  WaitRegistry w;
  const auto now = WaitRegistry::Clock::now();
  std::string first, second;
  w.add(
      1, [&](ApplyResult&& r) { first = r.status.message(); }, now - std::chrono::seconds(1));
  w.add(
      2, [&](ApplyResult&& r) { second = r.status.message(); }, now + std::chrono::hours(1));
  w.expire(now, Status(StatusCode::Unavailable, "etcdserver: request timed out"));
  CHECK(first == "etcdserver: request timed out");
  CHECK(second.empty());
  w.failAll(Status(StatusCode::Unavailable, "etcdserver: server stopped"));
  CHECK(second == "etcdserver: server stopped");
}

TEST_CASE("waiters added after others were taken complete by their own ids") {
  // The second and third rounds reuse the first round's emptied nodes.
  WaitRegistry w;
  const auto later = WaitRegistry::Clock::now() + std::chrono::hours(1);
  for (int round = 0; round < 3; ++round) {
    std::vector<int> calls(100, 0);
    for (uint64_t id = 0; id < 100; ++id) {
      w.add(
          1000 * round + id, [&calls, id](ApplyResult&&) { ++calls[id]; }, later);
    }
    for (uint64_t id = 0; id < 100; id += 2) w.trigger(1000 * round + id, ApplyResult{});
    for (uint64_t id = 1; id < 100; id += 2) {
      CHECK(w.take(1000 * round + id + 1000) == nullptr);  // not added (yet)
      w.trigger(1000 * round + id, ApplyResult{});
    }
    for (int c : calls) CHECK(c == 1);
    w.trigger(1000 * round, ApplyResult{});  // already taken: nothing
    CHECK(calls[0] == 1);
  }
}
