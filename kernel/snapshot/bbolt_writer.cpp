#include "bbolt_writer.h"

#include "bbolt_format.h"

namespace cairn::snapshot {

using namespace bbolt;

namespace {

// As etcd 3.4 opens bbolt (NoFreelistSync): no freelist page; bbolt finds
// the free pages by walking the trees when it opens the file.
constexpr uint64_t kFirstDataPgid = 2;

std::size_t leafElementBytes(std::string_view key, std::string_view value) {
  return kElementSize + key.size() + value.size();
}

Status invalid(const std::string& what) {
  return Status(StatusCode::InvalidArgument, "bbolt writer: " + what);
}

}  // namespace

BboltWriter::BboltWriter(WriteAt writeAt)
    : writeAt_(std::move(writeAt)), nextPgid_(kFirstDataPgid) {}

Status BboltWriter::fail(Status st) {
  if (!st && error_) error_ = st;
  return st;
}

Status BboltWriter::add(std::string_view bucket, std::string_view key, std::string_view value) {
  if (!error_) return error_;
  if (finished_) return fail(invalid("add after finish"));
  if (key.empty()) return fail(invalid("empty key in bucket " + std::string(bucket)));
  if (!open_ || *open_ != bucket) {
    if (Status st = closeBucket(); !st) return st;
    if (bucket.empty()) return fail(invalid("empty bucket name"));
    if (roots_.count(std::string(bucket)) != 0) {
      return fail(invalid("bucket " + std::string(bucket) + " is not contiguous"));
    }
    open_ = std::string(bucket);
    hasKey_ = false;
  } else if (hasKey_ && key <= std::string_view(lastKey_)) {
    return fail(invalid("keys out of order in bucket " + std::string(bucket)));
  }
  lastKey_.assign(key);
  hasKey_ = true;
  return addToLevel(0, Element{std::string(key), std::string(value), 0, 0});
}

Status BboltWriter::ensureBucket(std::string_view bucket) {
  if (!error_) return error_;
  if (open_ && *open_ == bucket) return Status::ok();
  if (roots_.count(std::string(bucket)) != 0) return Status::ok();
  if (Status st = closeBucket(); !st) return st;
  open_ = std::string(bucket);
  hasKey_ = false;
  return closeBucket();
}

Status BboltWriter::closeBucket() {
  if (!open_) return Status::ok();
  uint64_t root = 0;
  if (Status st = finishTree(&root); !st) return st;
  roots_[*open_] = root;
  open_.reset();
  return Status::ok();
}

Status BboltWriter::addToLevel(std::size_t level, Element element) {
  if (levels_.size() <= level) levels_.resize(level + 1);
  Level& l = levels_[level];
  const std::size_t add =
      level == 0 ? leafElementBytes(element.key, element.value) : kElementSize + element.key.size();
  if (l.bytes == 0) l.bytes = kPageHeaderSize;
  // A page holds what fits; a single larger element gets an overflowing page.
  if (!l.elements.empty() && l.bytes + add > kPageSize) {
    if (Status st = flushLevel(level); !st) return st;
  }
  Level& now = levels_[level];  // flushLevel may have grown levels_
  if (now.bytes == 0) now.bytes = kPageHeaderSize;
  now.bytes += add;
  now.elements.push_back(std::move(element));
  return Status::ok();
}

// Writes the level's open page and hands its first key to the level above.
Status BboltWriter::flushLevel(std::size_t level) {
  std::vector<Element> elements = std::move(levels_[level].elements);
  levels_[level].elements.clear();
  levels_[level].bytes = 0;
  levels_[level].wrotePage = true;
  uint64_t pgid = 0;
  if (Status st = writePage(level == 0, elements, &pgid); !st) return st;
  return addToLevel(level + 1, Element{std::move(elements.front().key), {}, pgid, 0});
}

Status BboltWriter::finishTree(uint64_t* root) {
  if (levels_.empty()) levels_.resize(1);
  for (std::size_t level = 0;; ++level) {
    Level& l = levels_[level];
    const bool top = level + 1 == levels_.size();
    if (top && !l.wrotePage) {
      // Everything below fits under this one page: it is the root (an empty
      // bucket's root is an empty leaf).
      std::vector<Element> elements = std::move(l.elements);
      if (Status st = writePage(level == 0, elements, root); !st) return st;
      levels_.clear();
      return Status::ok();
    }
    if (!l.elements.empty()) {
      if (Status st = flushLevel(level); !st) return st;
    }
  }
}

Status BboltWriter::writePage(bool leaf, const std::vector<Element>& elements, uint64_t* pgid) {
  std::size_t bytes = kPageHeaderSize + elements.size() * kElementSize;
  for (const Element& e : elements) bytes += e.key.size() + (leaf ? e.value.size() : 0);
  const uint64_t pages = (bytes + kPageSize - 1) / kPageSize;
  if (elements.size() > 0xffff || pages - 1 > 0xffffffffull) {
    return fail(invalid("page too large"));
  }
  std::string page(pages * kPageSize, '\0');
  *pgid = nextPgid_;
  putLe(&page[0], *pgid, 8);
  putLe(&page[8], leaf ? kLeafPageFlag : kBranchPageFlag, 2);
  putLe(&page[10], elements.size(), 2);
  putLe(&page[12], pages - 1, 4);
  std::size_t data = kPageHeaderSize + elements.size() * kElementSize;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const Element& e = elements[i];
    char* el = &page[kPageHeaderSize + i * kElementSize];
    const std::size_t pos = data - (kPageHeaderSize + i * kElementSize);
    if (leaf) {
      putLe(el, e.flags, 4);
      putLe(el + 4, pos, 4);
      putLe(el + 8, e.key.size(), 4);
      putLe(el + 12, e.value.size(), 4);
    } else {
      putLe(el, pos, 4);
      putLe(el + 4, e.key.size(), 4);
      putLe(el + 8, e.child, 8);
    }
    page.replace(data, e.key.size(), e.key);
    data += e.key.size();
    if (leaf) {
      page.replace(data, e.value.size(), e.value);
      data += e.value.size();
    }
  }
  nextPgid_ += pages;
  return fail(writeAt_(*pgid * kPageSize, page));
}

Status BboltWriter::writeMeta(uint64_t pgid, uint64_t txid, uint64_t rootPgid) {
  std::string page(kPageSize, '\0');
  putLe(&page[0], pgid, 8);
  putLe(&page[8], kMetaPageFlag, 2);
  char* m = &page[kPageHeaderSize];
  putLe(m, kMagic, 4);
  putLe(m + 4, kVersion, 4);
  putLe(m + 8, kPageSize, 4);
  putLe(m + 12, 0, 4);
  putLe(m + 16, rootPgid, 8);
  putLe(m + 24, 0, 8);
  putLe(m + 32, kNoFreelist, 8);
  putLe(m + 40, nextPgid_, 8);
  putLe(m + 48, txid, 8);
  putLe(m + 56, fnv64a(std::string_view(m, kMetaChecksummedBytes)), 8);
  return fail(writeAt_(pgid * kPageSize, page));
}

Status BboltWriter::finish() {
  if (!error_) return error_;
  if (finished_) return fail(invalid("finish called twice"));
  if (Status st = closeBucket(); !st) return st;
  // The root bucket: one leaf element per bucket, flagged as a bucket, its
  // value the bucket header (root pgid, sequence 0). std::map keeps the
  // names in bbolt's (byte) order.
  for (const auto& [name, root] : roots_) {
    std::string header(kBucketHeaderSize, '\0');
    putLe(&header[0], root, 8);
    if (Status st = addToLevel(0, Element{name, std::move(header), 0, kBucketLeafFlag}); !st) {
      return st;
    }
  }
  uint64_t root = 0;
  if (Status st = finishTree(&root); !st) return st;
  // Two valid metas; bbolt uses the one with the higher txid.
  if (Status st = writeMeta(0, 1, root); !st) return st;
  if (Status st = writeMeta(1, 2, root); !st) return st;
  finished_ = true;
  return Status::ok();
}

uint64_t BboltWriter::fileBytes() const {
  return nextPgid_ * kPageSize;
}

}  // namespace cairn::snapshot
