#include "etcd_wal_reader.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "crc32c.h"

namespace cairn::wal {
namespace {

constexpr uint64_t kMetadataType = 1;
constexpr uint64_t kEntryType = 2;
constexpr uint64_t kStateType = 3;
constexpr uint64_t kCrcType = 4;
constexpr uint64_t kSnapshotType = 5;
// etcd's maxWALEntrySizeLimit.
constexpr uint64_t kMaxRecordBytes = 10 << 20;
// etcd's minSectorSize: the unit a torn write zeroes.
constexpr uint64_t kSectorBytes = 512;

bool readVarint(std::string_view& in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The varint and length-delimited fields 1..4 of one message (all that
// Record, Entry, HardState, Snapshot and Metadata have); views into `in`.
struct Fields {
  std::array<uint64_t, 5> num{};
  std::array<std::string_view, 5> bytes{};
};
bool parseFields(std::string_view in, Fields* out) {
  while (!in.empty()) {
    uint64_t tag = 0, v = 0;
    if (!readVarint(in, &tag)) return false;
    const uint64_t field = tag >> 3;
    if ((tag & 7) == 0) {
      if (!readVarint(in, &v)) return false;
      if (field < out->num.size()) out->num[field] = v;
    } else if ((tag & 7) == 2) {
      if (!readVarint(in, &v) || v > in.size()) return false;
      if (field < out->bytes.size()) out->bytes[field] = in.substr(0, v);
      in.remove_prefix(v);
    } else {
      return false;
    }
  }
  return true;
}

Status damaged(const std::string& file, uint64_t offset, const std::string& why) {
  return Status(StatusCode::DataLoss,
                "etcd wal " + file + " at offset " + std::to_string(offset) + ": " + why);
}

std::vector<std::filesystem::path> segments(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".wal") out.push_back(e.path());
  }
  // etcd names them "<seq>-<index>.wal" in fixed-width hex: by name is by age.
  std::sort(out.begin(), out.end());
  return out;
}

// etcd's isTornEntry: a record whose bytes, cut at disk sector boundaries,
// include an all-zero piece was being written when the machine stopped.
bool tornWrite(std::string_view data, uint64_t fileOffset) {
  while (!data.empty()) {
    const uint64_t chunk =
        std::min<uint64_t>(kSectorBytes - fileOffset % kSectorBytes, data.size());
    if (std::all_of(data.begin(), data.begin() + chunk, [](char c) { return c == 0; })) return true;
    data.remove_prefix(chunk);
    fileOffset += chunk;
  }
  return false;
}

// Walks the records of the segments in order; `visit(type, data, file,
// offset)` gets each valid non-crc record.
class Decoder {
 public:
  template <typename Visit>
  Status run(const std::vector<std::filesystem::path>& files, Visit&& visit) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      const bool last = i + 1 == files.size();
      if (Status st = segment(files[i], last, visit); !st) return st;
    }
    return Status::ok();
  }

 private:
  template <typename Visit>
  Status segment(const std::filesystem::path& path, bool last, Visit& visit) {
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    const std::string buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) return damaged(file, 0, "cannot read");
    uint64_t off = 0;
    while (buf.size() - off >= 8) {
      uint64_t frame = 0;
      for (int b = 0; b < 8; ++b) {
        frame |= static_cast<uint64_t>(static_cast<unsigned char>(buf[off + b])) << (8 * b);
      }
      if (frame == 0) return Status::ok();  // preallocated space: end of segment
      const uint64_t len = frame & ((uint64_t{1} << 56) - 1);
      const uint64_t pad = (frame >> 63) != 0 ? (frame >> 56) & 7 : 0;
      if (len >= kMaxRecordBytes - pad) return damaged(file, off, "record larger than etcd allows");
      if (buf.size() - off - 8 < len + pad) {
        if (last) return Status::ok();  // cut short: a torn tail
        return damaged(file, off, "record cut short");
      }
      const std::string_view data(buf.data() + off + 8, len + pad);
      Fields rec;
      bool ok = parseFields(data.substr(0, len), &rec);
      const uint64_t type = rec.num[1];
      const auto crc = static_cast<uint32_t>(rec.num[2]);
      if (ok && type == kCrcType) {
        // A new decoder (crc_ 0) takes any starting value, as etcd's.
        if (crc_ != 0 && crc != crc_) return damaged(file, off, "crc record mismatch");
        crc_ = crc;
      } else if (ok) {
        const uint32_t next = crc32cExtend(crc_, rec.bytes[3]);
        ok = next == crc;
        if (ok) crc_ = next;
      }
      if (!ok) {
        if (last && tornWrite(data, off + 8)) return Status::ok();
        return damaged(file, off, "record crc mismatch or unparsable");
      }
      if (type != kCrcType) {
        if (Status st = visit(type, rec.bytes[3], file, off); !st) return st;
      }
      off += 8 + len + pad;
    }
    if (off != buf.size() && !last) return damaged(file, off, "trailing bytes");
    return Status::ok();
  }

  uint32_t crc_ = 0;
};

}  // namespace

Status readEtcdWalIds(const std::string& dir, EtcdWalIds* out) {
  const std::vector<std::filesystem::path> files = segments(dir);
  if (files.empty()) return Status(StatusCode::NotFound, "no etcd wal in " + dir);
  bool found = false;
  Status st = Decoder().run({files.front()}, [&](uint64_t type, std::string_view data,
                                                 const std::string& file, uint64_t off) {
    if (found) return Status::ok();
    Fields ids;
    if (type != kMetadataType || !parseFields(data, &ids)) {
      return damaged(file, off, "no metadata record after the crc record");
    }
    out->memberId = ids.num[1];
    out->clusterId = ids.num[2];
    found = true;
    return Status::ok();
  });
  if (!st) return st;
  if (!found) return damaged(files.front().string(), 0, "no metadata record");
  return Status::ok();
}

Status readEtcdWal(const std::string& dir, uint64_t after, EtcdWalContents* out) {
  const std::vector<std::filesystem::path> files = segments(dir);
  if (files.empty()) return Status(StatusCode::NotFound, "no etcd wal in " + dir);
  bool haveIds = false;
  if (after == 0) out->afterTerm = 0;  // raft's log starts at index 0, term 0
  // The highest index seen so far, kept or not: an entry past it + 1 means
  // a gap (etcd's ErrSliceOutOfRange).
  uint64_t lastIndex = 0;
  bool anyEntry = false;
  auto visit = [&](uint64_t type, std::string_view data, const std::string& file,
                   uint64_t off) -> Status {
    Fields f;
    if (!parseFields(data, &f)) return damaged(file, off, "unparsable record data");
    switch (type) {
      case kMetadataType:
        if (!haveIds) out->ids = {f.num[1], f.num[2]};
        haveIds = true;
        return Status::ok();
      case kStateType:
        out->term = f.num[1];
        out->vote = f.num[2];
        out->commit = f.num[3];
        return Status::ok();
      case kSnapshotType:
        if (f.num[1] == after) out->afterTerm = f.num[2];
        return Status::ok();
      case kEntryType: {
        const uint64_t index = f.num[3];
        if (anyEntry && index > lastIndex + 1) {
          return damaged(
              file, off,
              "entry " + std::to_string(index) + " follows entry " + std::to_string(lastIndex));
        }
        anyEntry = true;
        lastIndex = index;
        if (index <= after) {
          // Truncation below `after` drops the entry there until rewritten.
          out->afterTerm = index == after ? std::optional<uint64_t>(f.num[2]) : std::nullopt;
          out->entries.clear();
          return Status::ok();
        }
        // Truncation: this entry replaces the one at its index and all after.
        while (!out->entries.empty() && out->entries.back().index >= index) {
          out->entries.pop_back();
        }
        out->entries.push_back(EtcdWalEntry{static_cast<EtcdEntryType>(f.num[1]), f.num[2], index,
                                            std::string(f.bytes[4])});
        return Status::ok();
      }
      default:
        return damaged(file, off, "unexpected record type " + std::to_string(type));
    }
  };
  if (Status st = Decoder().run(files, visit); !st) return st;
  if (!haveIds) return damaged(files.front().string(), 0, "no metadata record");
  return Status::ok();
}

}  // namespace cairn::wal
