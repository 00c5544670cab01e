// The WAL writes zeroes ahead of its records so that syncing a record does
// not also sync an extent conversion (see Wal::writeBatch). Checked with
// FIEMAP where the filesystem reports extents: the bytes up to the chunk past
// the last record are written, not "unwritten" preallocated space.
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>

#include "wal/wal.h"
#include "wal_test_util.h"

using namespace cairn;
using namespace cairn::wal;
using namespace cairn::wal::testing;

namespace {

// Bytes of [0, end) lying in extents the filesystem marks unwritten; nullopt
// when it cannot say (no FIEMAP, e.g. tmpfs).
std::optional<uint64_t> unwrittenBytesBelow(const std::string& path, uint64_t end) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  constexpr unsigned kMax = 256;
  std::vector<char> buf(sizeof(fiemap) + kMax * sizeof(fiemap_extent));
  auto* fm = reinterpret_cast<fiemap*>(buf.data());
  fm->fm_start = 0;
  fm->fm_length = end;
  fm->fm_flags = FIEMAP_FLAG_SYNC;
  fm->fm_extent_count = kMax;
  const int rc = ::ioctl(fd, FS_IOC_FIEMAP, fm);
  ::close(fd);
  if (rc != 0) return std::nullopt;
  uint64_t unwritten = 0;
  for (unsigned i = 0; i < fm->fm_mapped_extents; ++i) {
    const fiemap_extent& e = fm->fm_extents[i];
    if ((e.fe_flags & FIEMAP_EXTENT_UNWRITTEN) == 0 || e.fe_logical >= end) continue;
    unwritten += std::min<uint64_t>(e.fe_logical + e.fe_length, end) - e.fe_logical;
  }
  return unwritten;
}

}  // namespace

TEST_CASE("records land on written zeroes a chunk ahead, which read as the end", "[wal]") {
  TempDir tmp;
  const std::string dir = tmp.sub("wal");
  std::unique_ptr<Wal> wal;
  Options opts;
  opts.segmentSizeBytes = 4 * kZeroAheadBytes;
  REQUIRE(Wal::create(dir, "m", opts, &wal));
  const std::string path = wal->segments().back().path;

  auto ents = makeEntries(1, 100, 1, 1000);
  REQUIRE(wal->save(makeState(1, 0, 100), ents, true));
  const std::string data = readFile(path);
  REQUIRE(data.size() == opts.segmentSizeBytes);
  // The records end within the first 100 KiB; from the last non-zero byte to
  // the chunk's end everything is zero.
  const std::size_t last = data.find_last_not_of('\0');
  REQUIRE(last != std::string::npos);
  CHECK(last < 200 * 1024);

  if (auto unwritten = unwrittenBytesBelow(path, kZeroAheadBytes)) {
    CHECK(*unwritten == 0);
    // Beyond the chunk the space is still only preallocated (fallocate).
    auto beyond = unwrittenBytesBelow(path, opts.segmentSizeBytes);
    REQUIRE(beyond.has_value());
    CHECK(*beyond > 0);
  } else {
    WARN("no FIEMAP on this filesystem: extents not checked");
  }

  // Many more records cross chunk boundaries and the segment is cut; every
  // record reads back.
  std::vector<raftpb::Entry> all = ents;
  for (uint64_t i = 101; i <= 5000; i += 100) {
    auto more = makeEntries(i, i + 99, 1, 1000);
    REQUIRE(wal->save(makeState(1, 0, i + 99), more, true));
    all.insert(all.end(), more.begin(), more.end());
  }
  CHECK(wal->segments().size() > 1);
  REQUIRE(wal->close());
  std::unique_ptr<Wal> reopened;
  std::string metadata;
  raftpb::HardState state;
  std::vector<raftpb::Entry> got;
  bool repaired = false;
  REQUIRE(Wal::open(dir, {}, opts, &reopened, &metadata, &state, &got, &repaired));
  CHECK_FALSE(repaired);
  REQUIRE(got.size() == all.size());
  for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(sameEntry(got[i], all[i]));
  CHECK(state.commit() == 5000);
}
