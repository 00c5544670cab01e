// Opening a WAL and reading its records back, for the WAL unit tests.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wal/segment_decoder.h"
#include "wal/wal.h"
#include "wal_test_util.h"

namespace cairn::wal::testing {

struct Opened {
  std::unique_ptr<Wal> wal;
  std::string metadata;
  raftpb::HardState state;
  std::vector<raftpb::Entry> entries;
  bool repaired = false;
  Status status;
};

inline Opened openWal(const std::string& dir, WalSnapshot from = {}, Options opts = {}) {
  Opened o;
  o.status = Wal::open(dir, from, opts, &o.wal, &o.metadata, &o.state, &o.entries, &o.repaired);
  return o;
}

inline void requireEntries(const std::vector<raftpb::Entry>& got,
                           const std::vector<raftpb::Entry>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("entry " << i);
    REQUIRE(sameEntry(got[i], want[i]));
  }
}

// Offsets of the records (after the leading Crc record) in a segment file.
inline std::vector<Record> recordsOf(const std::string& path, const std::string& data) {
  SegmentDecoder dec(path, data, true, std::nullopt);
  std::vector<Record> out;
  while (true) {
    Record rec;
    bool done = false;
    Status s = dec.next(&rec, &done);
    REQUIRE(s);
    if (done) break;
    out.push_back(rec);
  }
  return out;
}

}  // namespace cairn::wal::testing
