// Helpers shared by the lessor unit tests.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "lease/lessor.h"

namespace cairn::lease::test {

inline LessorConfig config(int64_t minTtl = 0) {
  LessorConfig c;
  c.minTtl = minTtl;
  return c;
}

inline void grantOk(Lessor& l, int64_t id, int64_t ttl) {
  storage::WriteBatch b;
  Status st = l.grant(id, ttl, b);
  INFO(st.message());
  REQUIRE(st.isOk());
}

inline int64_t remainingOf(const Lessor& l, int64_t id) {
  TimeToLive t;
  REQUIRE(l.timeToLive(id, &t).isOk());
  return t.remaining;
}

}  // namespace cairn::lease::test
