#include "wal/snapshotter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "wal/crc32c.h"
#include "wal/file_util.h"
#include "wal/record.h"
#include "wal/segment_name.h"

namespace cairn::wal {
namespace {

// File frame: 8-byte magic, u32 CRC-32C of the payload, u32 zero, u64
// payload length, payload (a serialized raftpb::Snapshot). The magic
// versions the format; the length catches truncation before the CRC does.
constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'S', 'N', '1'};
constexpr size_t kFrameHeaderSize = 24;
constexpr std::string_view kSnapSuffix = ".snap";
constexpr std::string_view kTmpSuffix = ".tmp";
constexpr std::string_view kBrokenSuffix = ".broken";

void putLe(std::string* buf, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) buf->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool parseSnapName(const std::string& name, uint64_t* term, uint64_t* index) {
  // Reuse the segment-name parser: the two share "<hex16>-<hex16>".
  if (!endsWith(name, kSnapSuffix)) return false;
  std::string asSegment = name.substr(0, name.size() - kSnapSuffix.size()) + ".wal";
  return parseSegmentName(asSegment, term, index);
}

}  // namespace

Snapshotter::Snapshotter(std::string dir) : dir_(std::move(dir)) {}

std::string Snapshotter::fileName(uint64_t term, uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016llx-%016llx.snap", static_cast<unsigned long long>(term),
                static_cast<unsigned long long>(index));
  return buf;
}

Status Snapshotter::save(const raftpb::Snapshot& snap) {
  Status s = createDirAll(dir_);
  if (!s) return s;
  std::string payload;
  if (!snap.SerializeToString(&payload)) {
    return Status(StatusCode::Internal, "snap: cannot serialize snapshot");
  }
  std::string buf(kMagic, sizeof(kMagic));
  putLe(&buf, crc32c(payload), 4);
  putLe(&buf, 0, 4);
  putLe(&buf, payload.size(), 8);
  buf += payload;

  const std::string path = dir_ + "/" + fileName(snap.metadata().term(), snap.metadata().index());
  const std::string tmp = path + std::string(kTmpSuffix);
  int fd = openCloexec(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return errnoStatus(errno, "create", tmp);
  s = writeAll(fd, buf, tmp);
  if (s && ::fsync(fd) != 0) s = errnoStatus(errno, "fsync", tmp);
  ::close(fd);
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = errnoStatus(errno, "rename " + tmp + " to", path);
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  return fsyncDir(dir_);
}

Status Snapshotter::list(std::vector<SnapFile>* out) const {
  out->clear();
  std::vector<std::string> names;
  Status s = listDir(dir_, &names);
  if (!s) return s;
  for (auto& name : names) {
    SnapFile f;
    if (!parseSnapName(name, &f.term, &f.index)) continue;
    f.name = std::move(name);
    out->push_back(std::move(f));
  }
  std::sort(out->begin(), out->end(), [](const SnapFile& a, const SnapFile& b) {
    return a.index != b.index ? a.index > b.index : a.term > b.term;
  });
  return Status::ok();
}

Status Snapshotter::load(const SnapFile& file, raftpb::Snapshot* out) const {
  const std::string path = dir_ + "/" + file.name;
  std::string data;
  Status s = readWholeFile(path, &data);
  if (!s) return s;
  auto broken = [&](std::string_view why) {
    return Status(StatusCode::DataLoss, "snap: " + std::string(why) + " in " + path);
  };
  if (data.size() < kFrameHeaderSize || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return broken("bad header");
  }
  const uint32_t crc = loadLe32(data.data() + 8);
  const uint64_t length = loadLe64(data.data() + 16);
  if (length != data.size() - kFrameHeaderSize) return broken("bad length");
  std::string_view payload(data.data() + kFrameHeaderSize, length);
  if (crc32c(payload) != crc) return broken("crc mismatch");
  raftpb::Snapshot snap;
  if (!snap.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return broken("unparsable snapshot");
  }
  if (snap.metadata().index() != file.index || snap.metadata().term() != file.term) {
    return broken("metadata does not match the file name");
  }
  *out = std::move(snap);
  return Status::ok();
}

Status Snapshotter::loadNewestAvailable(const std::vector<WalSnapshot>& allowed,
                                        raftpb::Snapshot* out) {
  std::vector<SnapFile> files;
  Status s = list(&files);
  if (!s && s.code() != StatusCode::NotFound) return s;
  for (const auto& f : files) {
    bool isAllowed = std::any_of(allowed.begin(), allowed.end(), [&](const WalSnapshot& w) {
      return w.index == f.index && w.term == f.term;
    });
    if (!isAllowed) continue;
    s = load(f, out);
    if (s) return s;
    // Unreadable or corrupt: set it aside (kept for inspection) and fall
    // back to an older snapshot, which the WAL can still replay from.
    const std::string path = dir_ + "/" + f.name;
    const std::string brokenPath = path + std::string(kBrokenSuffix);
    if (::rename(path.c_str(), brokenPath.c_str()) != 0) {
      return errnoStatus(errno, "rename broken snapshot", path);
    }
  }
  return Status(StatusCode::NotFound, "snap: no available snapshot in " + dir_);
}

Status Snapshotter::purge(size_t keep) {
  std::vector<SnapFile> files;
  Status s = list(&files);
  if (!s) return s.code() == StatusCode::NotFound ? Status::ok() : s;
  bool removed = false;
  for (size_t i = keep; i < files.size(); ++i) {
    const std::string path = dir_ + "/" + files[i].name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errnoStatus(errno, "remove", path);
    removed = true;
  }
  // Leftovers of a save() interrupted by a crash; never renamed into place.
  std::vector<std::string> names;
  s = listDir(dir_, &names);
  if (!s) return s;
  for (const auto& name : names) {
    if (!endsWith(name, std::string(kSnapSuffix) + std::string(kTmpSuffix))) continue;
    const std::string path = dir_ + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errnoStatus(errno, "remove", path);
    removed = true;
  }
  return removed ? fsyncDir(dir_) : Status::ok();
}

}  // namespace cairn::wal
