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
