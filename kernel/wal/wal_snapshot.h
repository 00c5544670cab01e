// The WAL's record of a raft snapshot: just its position in the log.
#pragma once

#include <cstdint>

namespace cairn::wal {

struct WalSnapshot {
  uint64_t index = 0;
  uint64_t term = 0;

  friend bool operator==(const WalSnapshot&, const WalSnapshot&) = default;
};

}  // namespace cairn::wal
