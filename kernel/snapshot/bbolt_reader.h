// BboltReader: reads a bbolt database file (etcd's backend and snapshot
// format; see bbolt_format.h) page by page, never the whole file at once.
//
// open() picks the newer meta page whose checksum verifies, as bbolt does;
// forEachBucket() walks the root bucket and forEach() one bucket's tree in key
// order, reading the pages it visits. Inline buckets (small buckets stored
// inside their parent's leaf) are read too. Any inconsistency (a page past the
// end, an element outside its page, a tree deeper than a B+tree of this file
// could be) is DataLoss: the file is corrupt or truncated.
//
// Threads: one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bbolt_format.h"
#include "cairn/status.h"

namespace cairn::snapshot {

class BboltReader {
 public:
  // Reads `n` bytes at `offset` into *out; fewer bytes only at end of file.
  using ReadAt = std::function<Status(uint64_t offset, std::size_t n, std::string* out)>;
  // Return false to stop.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  BboltReader(ReadAt readAt, uint64_t fileBytes)
      : readAt_(std::move(readAt)), fileBytes_(fileBytes) {}

  Status open();
  const bbolt::Meta& meta() const { return meta_; }

  // The names of the root bucket's sub-buckets, in order.
  Status bucketNames(std::vector<std::string>* names);
  // Visits every pair of `bucket` in key order (NotFound if it does not exist).
  Status forEach(std::string_view bucket, const Visitor& visit);

 private:
  struct Item {
    uint32_t flags;
    std::string key;
    std::string value;
  };
  using ItemVisitor = std::function<bool(const Item& item)>;

  Status readPage(uint64_t pgid, std::string* page);
  // Walks the tree rooted at `pgid` (or the inline page `inlinePage`).
  Status walk(uint64_t pgid, const std::string* inlinePage, int depth, const ItemVisitor& visit,
              bool* stopped);
  Status walkPage(const std::string& page, int depth, const ItemVisitor& visit, bool* stopped);
  Status findBucket(std::string_view name, std::string* header);

  ReadAt readAt_;
  uint64_t fileBytes_;
  bbolt::Meta meta_;
};

Status corrupt(const std::string& what);

}  // namespace cairn::snapshot
