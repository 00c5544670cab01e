// Reads the member and cluster ids an etcd 3.4 WAL was created with (its
// metadata record, etcdserverpb.Metadata), so a Cairn member started on an
// etcd data dir can check it is the member the directory belongs to.
//
// etcd's WAL format, as far as this needs it: a segment is a sequence of
// frames, each a little-endian u64 (low 56 bits: record length; if the top
// bit is set, the low 3 bits of the top byte: padding after it) followed by
// a walpb.Record {type = 1, crc = 2, data = 3}. The oldest segment starts
// with a crc record (type 4, the running CRC-32C so far) and then the
// metadata record (type 1), whose crc is CRC-32C(data) continued from it.
#pragma once

#include <cstdint>
#include <string>

#include "cairn/status.h"

namespace cairn::wal {

struct EtcdWalIds {
  uint64_t memberId = 0;
  uint64_t clusterId = 0;
};

// Reads the oldest "*.wal" segment of `dir`. DataLoss if it is not etcd's
// format or its metadata record is damaged.
Status readEtcdWalIds(const std::string& dir, EtcdWalIds* out);

}  // namespace cairn::wal
