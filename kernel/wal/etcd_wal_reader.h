// Reads an etcd 3.4 WAL (member/wal/*.wal), so a Cairn member started on an
// etcd data dir can (a) check it is the member the directory belongs to and
// (b) replay the committed entries etcd had not yet written to its bbolt db
// when it stopped (etcd commits the db every 100 ms; the WAL is synced
// before a write is acknowledged).
//
// etcd's WAL format (go.etcd.io/etcd/wal): a segment is a sequence of
// frames, each a little-endian u64 (low 56 bits: record length; if the top
// bit is set, the low 3 bits of the top byte: padding after it) followed by
// a walpb.Record {type = 1, crc = 2, data = 3}. Types: 1 metadata
// (etcdserverpb.Metadata), 2 entry (raftpb.Entry {Type = 1, Term = 2,
// Index = 3, Data = 4}), 3 state (raftpb.HardState {Term = 1, Vote = 2,
// Commit = 3}), 4 crc, 5 snapshot (walpb.Snapshot). Each record's crc is
// CRC-32C of its data continued from the previous record's; a crc record
// (first in every segment) carries the running value across segments. A
// zero length ends a segment (preallocated space). A later entry at an index
// replaces the earlier one and everything after it (raft truncation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cairn/status.h"

namespace cairn::wal {

struct EtcdWalIds {
  uint64_t memberId = 0;
  uint64_t clusterId = 0;
};

// etcd's raftpb.EntryType values.
enum class EtcdEntryType : uint64_t { Normal = 0, ConfChange = 1, ConfChangeV2 = 2 };

struct EtcdWalEntry {
  EtcdEntryType type = EtcdEntryType::Normal;
  uint64_t term = 0;
  uint64_t index = 0;
  std::string data;
};

struct EtcdWalContents {
  EtcdWalIds ids;
  // The last HardState recorded.
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;
  // The term of the entry at the `after` asked for (from the entry, or a
  // snapshot record at that index), if the WAL says.
  std::optional<uint64_t> afterTerm;
  // The entries with index > `after`, contiguous and in index order (after
  // truncations), committed or not.
  std::vector<EtcdWalEntry> entries;
};

// Reads the oldest "*.wal" segment of `dir`. DataLoss if it is not etcd's
// format or its metadata record is damaged.
Status readEtcdWalIds(const std::string& dir, EtcdWalIds* out);

// Reads every segment of `dir`, oldest first, checking the CRC chain. A
// torn write at the tail of the last segment (a record cut short or holding
// a zeroed disk sector, as etcd's decoder judges it) ends the log there, as
// etcd's repair would. Any other damage, or a gap in the entries after
// `after`, fails with DataLoss naming the file and offset.
Status readEtcdWal(const std::string& dir, uint64_t after, EtcdWalContents* out);

}  // namespace cairn::wal
