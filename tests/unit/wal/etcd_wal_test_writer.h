// Writes etcd 3.4 WAL segments for tests, as etcd's wal/encoder.go does:
// each record framed by a little-endian u64 length (top bit and low 3 bits
// of the top byte: padding to 8 bytes), a walpb.Record {type, crc, data}
// whose crc is CRC-32C continued from the previous record's, and a crc
// record carrying the running value at the start of each segment.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "wal/crc32c.h"

namespace cairn::testing {
namespace etcd_wal_detail {

inline void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
inline void num(std::string& out, int field, uint64_t v) {
  varint(out, static_cast<uint64_t>(field) << 3);
  varint(out, v);
}
inline void bytes(std::string& out, int field, const std::string& b) {
  varint(out, (static_cast<uint64_t>(field) << 3) | 2);
  varint(out, b.size());
  out += b;
}

}  // namespace etcd_wal_detail

// Builds segments record by record, keeping the running CRC as etcd's
// encoder does.
class EtcdWalWriter {
 public:
  explicit EtcdWalWriter(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }

  void cut() {
    flush();
    ++seq_;
    record(4, "", true);
  }
  void metadata(uint64_t member, uint64_t cluster) {
    using namespace etcd_wal_detail;
    std::string m;
    num(m, 1, member);
    num(m, 2, cluster);
    record(1, m);
  }
  void entry(uint64_t term, uint64_t index, const std::string& data, uint64_t type = 0) {
    using namespace etcd_wal_detail;
    std::string e;
    num(e, 1, type);
    num(e, 2, term);
    num(e, 3, index);
    bytes(e, 4, data);
    record(2, e);
  }
  void state(uint64_t term, uint64_t commit, uint64_t vote = 0) {
    using namespace etcd_wal_detail;
    std::string s;
    num(s, 1, term);
    num(s, 2, vote);
    num(s, 3, commit);
    record(3, s);
  }
  // A walpb.Snapshot marker (etcd writes {0, 0} when it creates the WAL).
  void snapshot(uint64_t index, uint64_t term) {
    using namespace etcd_wal_detail;
    std::string s;
    num(s, 1, index);
    num(s, 2, term);
    record(5, s);
  }
  // Writes the current segment, followed by `zeros` preallocated bytes.
  void flush(std::size_t zeros = 0) {
    if (buf_.empty()) return;
    char name[64];
    std::snprintf(name, sizeof name, "%016llx-%016llx.wal", static_cast<unsigned long long>(seq_),
                  0ull);
    std::ofstream(dir_ / name, std::ios::binary) << buf_ << std::string(zeros, '\0');
    buf_.clear();
  }
  std::string& buffer() { return buf_; }

 private:
  void record(uint64_t type, const std::string& data, bool crcRecord = false) {
    using namespace etcd_wal_detail;
    std::string r;
    num(r, 1, type);
    if (!crcRecord) crc_ = wal::crc32cExtend(crc_, data);
    num(r, 2, crc_);
    if (!data.empty()) bytes(r, 3, data);
    const uint64_t pad = (8 - r.size() % 8) % 8;
    uint64_t frame = r.size();
    if (pad != 0) frame |= (0x80 | pad) << 56;
    for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>(frame >> (8 * i)));
    buf_ += r + std::string(pad, '\0');
  }

  std::filesystem::path dir_;
  uint64_t seq_ = 0;
  uint32_t crc_ = 0;
  std::string buf_;
};

}  // namespace cairn::testing
