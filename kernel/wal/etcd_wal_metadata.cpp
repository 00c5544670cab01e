#include "etcd_wal_metadata.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

#include "crc32c.h"

namespace cairn::wal {
namespace {

constexpr uint64_t kCrcType = 4;
constexpr uint64_t kMetadataType = 1;
// Far above any first record etcd writes (the metadata is two varints).
constexpr uint64_t kMaxRecordBytes = 1 << 20;

Status notEtcd(const std::string& file, const std::string& why) {
  return Status(StatusCode::DataLoss, "etcd wal " + file + ": " + why);
}

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

// The varint fields and the length-delimited field 3 of one message; other
// wire types fail (neither walpb.Record nor Metadata has them).
struct Fields {
  uint64_t f1 = 0, f2 = 0;
  std::string f3;  // a copy: the record's buffer does not outlive the parse
};
bool parseFields(std::string_view in, Fields* out) {
  while (!in.empty()) {
    uint64_t tag = 0, v = 0;
    if (!readVarint(in, &tag)) return false;
    if ((tag & 7) == 0) {
      if (!readVarint(in, &v)) return false;
      if ((tag >> 3) == 1) out->f1 = v;
      if ((tag >> 3) == 2) out->f2 = v;
    } else if ((tag & 7) == 2) {
      if (!readVarint(in, &v) || v > in.size()) return false;
      if ((tag >> 3) == 3) out->f3.assign(in.substr(0, v));
      in.remove_prefix(v);
    } else {
      return false;
    }
  }
  return true;
}

bool readRecord(std::ifstream& in, Fields* rec) {
  char frame[8];
  if (!in.read(frame, 8)) return false;
  uint64_t len = 0;
  for (int i = 0; i < 8; ++i)
    len |= static_cast<uint64_t>(static_cast<unsigned char>(frame[i])) << (8 * i);
  const uint64_t pad = (len >> 63) != 0 ? (len >> 56) & 7 : 0;
  len &= (uint64_t{1} << 56) - 1;
  if (len == 0 || len > kMaxRecordBytes) return false;
  std::string data(len + pad, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) return false;
  return parseFields(std::string_view(data).substr(0, len), rec);
}

}  // namespace

Status readEtcdWalIds(const std::string& dir, EtcdWalIds* out) {
  std::vector<std::filesystem::path> segments;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".wal") segments.push_back(e.path());
  }
  if (segments.empty()) return Status(StatusCode::NotFound, "no etcd wal in " + dir);
  std::sort(segments.begin(), segments.end());
  const std::string file = segments.front().string();
  std::ifstream in(segments.front(), std::ios::binary);
  Fields crc, meta;
  if (!readRecord(in, &crc) || crc.f1 != kCrcType) {
    return notEtcd(file, "does not start with a crc record");
  }
  if (!readRecord(in, &meta) || meta.f1 != kMetadataType) {
    return notEtcd(file, "no metadata record after the crc record");
  }
  if (crc32cExtend(static_cast<uint32_t>(crc.f2), meta.f3) != static_cast<uint32_t>(meta.f2)) {
    return notEtcd(file, "metadata record crc mismatch");
  }
  Fields ids;
  if (!parseFields(meta.f3, &ids)) return notEtcd(file, "unparsable metadata");
  out->memberId = ids.f1;
  out->clusterId = ids.f2;
  return Status::ok();
}

}  // namespace cairn::wal
