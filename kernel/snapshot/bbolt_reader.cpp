#include "bbolt_reader.h"

namespace cairn::snapshot {

using namespace bbolt;

namespace {

// Deeper than any B+tree a 2^64-page file can hold: only a cycle gets here.
constexpr int kMaxDepth = 64;

}  // namespace

Status corrupt(const std::string& what) {
  return Status(StatusCode::DataLoss, "bbolt file corrupt: " + what);
}

Status BboltReader::open() {
  bool found = false;
  for (uint64_t pgid = 0; pgid < 2; ++pgid) {
    std::string page;
    if (Status st = readAt_(pgid * kPageSize, kPageHeaderSize + kMetaBytes, &page); !st) {
      return st;
    }
    if (page.size() < kPageHeaderSize + kMetaBytes) continue;
    const char* m = page.data() + kPageHeaderSize;
    if (getLe(m, 4) != kMagic || getLe(m + 4, 4) != kVersion) continue;
    if (getLe(m + 56, 8) != fnv64a(std::string_view(m, kMetaChecksummedBytes))) continue;
    if (getLe(m + 8, 4) != kPageSize) {
      return Status(StatusCode::FailedPrecondition, "bbolt file: page size " +
                                                        std::to_string(getLe(m + 8, 4)) +
                                                        " (Cairn reads files of 4096-byte pages)");
    }
    Meta meta;
    meta.rootPgid = getLe(m + 16, 8);
    meta.rootSequence = getLe(m + 24, 8);
    meta.freelistPgid = getLe(m + 32, 8);
    meta.highWater = getLe(m + 40, 8);
    meta.txid = getLe(m + 48, 8);
    if (!found || meta.txid > meta_.txid) meta_ = meta;
    found = true;
  }
  if (!found) return corrupt("no valid meta page (not a bbolt file, or damaged)");
  if (meta_.highWater * kPageSize > fileBytes_) {
    return corrupt("file is " + std::to_string(fileBytes_) + " bytes, its meta says " +
                   std::to_string(meta_.highWater * kPageSize) + " (truncated)");
  }
  return Status::ok();
}

Status BboltReader::readPage(uint64_t pgid, std::string* page) {
  if (pgid < 2 || pgid >= meta_.highWater) {
    return corrupt("page " + std::to_string(pgid) + " out of bounds");
  }
  if (Status st = readAt_(pgid * kPageSize, kPageSize, page); !st) return st;
  if (page->size() < kPageSize) return corrupt("short page " + std::to_string(pgid));
  const uint64_t overflow = getLe(page->data() + 12, 4);
  if (overflow > 0) {
    if (pgid + overflow >= meta_.highWater) {
      return corrupt("page " + std::to_string(pgid) + " overflows the file");
    }
    if (Status st = readAt_(pgid * kPageSize, (overflow + 1) * kPageSize, page); !st) return st;
    if (page->size() < (overflow + 1) * kPageSize) {
      return corrupt("short page " + std::to_string(pgid));
    }
  }
  return Status::ok();
}

Status BboltReader::walk(uint64_t pgid, const std::string* inlinePage, int depth,
                         const ItemVisitor& visit, bool* stopped) {
  if (depth > kMaxDepth) return corrupt("tree too deep (a page cycle)");
  if (inlinePage != nullptr) return walkPage(*inlinePage, depth, visit, stopped);
  std::string page;
  if (Status st = readPage(pgid, &page); !st) return st;
  return walkPage(page, depth, visit, stopped);
}

Status BboltReader::walkPage(const std::string& page, int depth, const ItemVisitor& visit,
                             bool* stopped) {
  if (page.size() < kPageHeaderSize) return corrupt("short inline page");
  const uint16_t flags = static_cast<uint16_t>(getLe(page.data() + 8, 2));
  const std::size_t count = getLe(page.data() + 10, 2);
  if (kPageHeaderSize + count * kElementSize > page.size()) {
    return corrupt("page elements past its end");
  }
  const bool leaf = (flags & kLeafPageFlag) != 0;
  if (!leaf && (flags & kBranchPageFlag) == 0) {
    return corrupt("page of type " + std::to_string(flags) + " inside a bucket tree");
  }
  for (std::size_t i = 0; i < count && !*stopped; ++i) {
    const std::size_t at = kPageHeaderSize + i * kElementSize;
    const char* el = page.data() + at;
    if (leaf) {
      const uint64_t pos = getLe(el + 4, 4), ksize = getLe(el + 8, 4), vsize = getLe(el + 12, 4);
      if (at + pos + ksize + vsize > page.size()) return corrupt("leaf element past its page");
      Item item{static_cast<uint32_t>(getLe(el, 4)), page.substr(at + pos, ksize),
                page.substr(at + pos + ksize, vsize)};
      if (!visit(item)) *stopped = true;
    } else {
      const uint64_t child = getLe(el + 8, 8);
      if (Status st = walk(child, nullptr, depth + 1, visit, stopped); !st) return st;
    }
  }
  return Status::ok();
}

Status BboltReader::bucketNames(std::vector<std::string>* names) {
  names->clear();
  bool stopped = false;
  return walk(
      meta_.rootPgid, nullptr, 0,
      [&](const Item& item) {
        if ((item.flags & kBucketLeafFlag) != 0) names->push_back(item.key);
        return true;
      },
      &stopped);
}

Status BboltReader::findBucket(std::string_view name, std::string* header) {
  bool stopped = false, found = false;
  Status st = walk(
      meta_.rootPgid, nullptr, 0,
      [&](const Item& item) {
        if ((item.flags & kBucketLeafFlag) == 0 || item.key != name) return true;
        *header = item.value;
        found = true;
        return false;
      },
      &stopped);
  if (!st) return st;
  if (!found) return Status(StatusCode::NotFound, "bbolt file: no bucket " + std::string(name));
  if (header->size() < kBucketHeaderSize) return corrupt("short bucket header");
  return Status::ok();
}

Status BboltReader::forEach(std::string_view bucket, const Visitor& visit) {
  std::string header;
  if (Status st = findBucket(bucket, &header); !st) return st;
  const uint64_t root = getLe(header.data(), 8);
  // An inline bucket (root 0) keeps its one leaf page after the header.
  const std::string inlinePage = root == 0 ? header.substr(kBucketHeaderSize) : std::string();
  bool stopped = false;
  return walk(
      root, root == 0 ? &inlinePage : nullptr, 0,
      [&](const Item& item) {
        // Nested buckets are not part of etcd's layout; skip them.
        if ((item.flags & kBucketLeafFlag) != 0) return true;
        return visit(item.key, item.value);
      },
      &stopped);
}

}  // namespace cairn::snapshot
