// BboltWriter: writes a bbolt database file from buckets streamed in order,
// without holding the database in memory.
//
// Each bucket's pairs must arrive together and in ascending key order (as a
// backend's export stream gives them); buckets may come in any order. The
// writer bulk-loads a B+tree per bucket: leaf pages are written as they fill,
// and each level's branch pages as the level below fills them, so at most one
// open page per tree level is held. finish() writes the root bucket's page
// (one element per bucket, sorted by name), then the two meta pages at the
// start of the file, which are only known at the end; the output must
// therefore be positional (a file), not a pipe. See bbolt_format.h.
//
// Threads: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn::snapshot {

class BboltWriter {
 public:
  // Writes `bytes` at byte `offset` of the output.
  using WriteAt = std::function<Status(uint64_t offset, std::string_view bytes)>;

  explicit BboltWriter(WriteAt writeAt);

  // Adds one pair to `bucket`. Errors: InvalidArgument when the order rule is
  // broken; the sink's error otherwise. Errors are sticky.
  Status add(std::string_view bucket, std::string_view key, std::string_view value);
  // Declares a bucket that may have no pairs (a no-op if it has some).
  Status ensureBucket(std::string_view bucket);
  // Completes the file. Nothing may be added after.
  Status finish();

  // Bytes of the finished file (pages * page size).
  uint64_t fileBytes() const;

 private:
  struct Element {
    std::string key;
    std::string value;   // leaf: the value; branch: unused
    uint64_t child = 0;  // branch: the child's pgid
    uint32_t flags = 0;
  };
  // The open page of one tree level.
  struct Level {
    std::vector<Element> elements;
    std::size_t bytes = 0;  // page header + elements + data so far
    bool wrotePage = false;
  };

  Status closeBucket();
  Status addToLevel(std::size_t level, Element element);
  Status flushLevel(std::size_t level);
  // Writes the pages of one level and returns the first pgid used.
  Status writePage(bool leaf, const std::vector<Element>& elements, uint64_t* pgid);
  // Completes the open tree; *root receives its root page.
  Status finishTree(uint64_t* root);
  Status writeMeta(uint64_t pgid, uint64_t txid, uint64_t rootPgid);
  Status fail(Status st);

  WriteAt writeAt_;
  uint64_t nextPgid_;
  std::vector<Level> levels_;        // of the tree being written
  std::optional<std::string> open_;  // the bucket being written
  std::string lastKey_;
  bool hasKey_ = false;
  std::map<std::string, uint64_t> roots_;  // finished buckets -> root pgid
  bool finished_ = false;
  Status error_;
};

}  // namespace cairn::snapshot
