// Row keys of the WiredTiger backend's single data table, in one of two
// layouts; the meta table's "layout" row names the data dir's (no row: 1).
//
//   layout 1:  escape(bucket) 0x00 0x01 key         every bucket
//   layout 2:  0x02 key                             the MVCC "key" bucket
//              0x01 escape(bucket) 0x00 0x01 key    every other bucket
//
// escape(): each 0x00 becomes 0x00 0xff. Within a bucket, memcmp order of row
// keys equals key order: a bucket name that is a prefix of another ends with
// 0x00 0x01, below any continuation byte (a real byte >= 0x01 or an escaped
// NUL 0x00 0xff). So one bucket is one contiguous row range.
//
// Why layout 2: revision keys only grow, so a put's row belongs at the end of
// its bucket. In layout 1 that end is in the middle of the table, in front of
// the "lease", "members" and "meta" rows, and every insert pays WiredTiger's
// full row search; in layout 2 the revisions are the table's last rows and an
// insert appends. Data dirs keep the layout they were created with.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/storage.h"

namespace cairn::storage::wt_key {

class RowLayout {
 public:
  static constexpr int kBucketOrder = 1;
  static constexpr int kKeyBucketLast = 2;
  static constexpr int kNewest = kKeyBucketLast;

  explicit RowLayout(int version = kNewest) : version_(version) {}
  int version() const { return version_; }

  // Appends the row-key prefix of `bucket` to *out.
  void appendPrefix(std::string_view bucket, std::string* out) const {
    if (version_ == kKeyBucketLast) {
      if (bucket == kRevisionBucket) {
        out->push_back('\x02');
        return;
      }
      out->push_back('\x01');
    }
    for (char c : bucket) {
      out->push_back(c);
      if (c == '\0') out->push_back('\xff');
    }
    out->push_back('\0');
    out->push_back('\x01');
  }

  std::string prefix(std::string_view bucket) const {
    std::string out;
    out.reserve(bucket.size() + 3);
    appendPrefix(bucket, &out);
    return out;
  }

  // First row key past every row of the bucket with this prefix: every
  // prefix ends in 0x01 or 0x02, so raising its last byte stays in range.
  static std::string end(std::string prefix) {
    ++prefix.back();
    return prefix;
  }

  // Splits a row key; false if it is not one this layout writes.
  bool split(std::string_view row, std::string& bucket, std::string_view& key) const {
    if (version_ == kKeyBucketLast) {
      if (row.empty()) return false;
      if (row[0] == '\x02') {
        bucket.assign(kRevisionBucket);
        key = row.substr(1);
        return true;
      }
      if (row[0] != '\x01') return false;
      row.remove_prefix(1);
    }
    bucket.clear();
    for (std::size_t i = 0; i + 1 < row.size(); ++i) {
      if (row[i] != '\0') {
        bucket.push_back(row[i]);
        continue;
      }
      if (row[i + 1] == '\x01') {
        key = row.substr(i + 2);
        // Layout 2 stores the key bucket under 0x02 only.
        return version_ != kKeyBucketLast || bucket != kRevisionBucket;
      }
      if (row[i + 1] != '\xff') return false;
      bucket.push_back('\0');
      ++i;
    }
    return false;
  }

  // Row ranges [lo, hi) (an empty hi: to the table's end) which, scanned one
  // after another, visit the buckets in name order: an export is canonical
  // whatever the layout.
  std::vector<std::pair<std::string, std::string>> bucketOrderRanges() const {
    if (version_ != kKeyBucketLast) return {{std::string(), std::string()}};
    RowLayout legacy(kBucketOrder);
    const std::string keyInLegacy = "\x01" + legacy.prefix(kRevisionBucket);
    return {{"\x01", keyInLegacy},        // buckets named below "key"
            {"\x02", "\x03"},             // "key"
            {end(keyInLegacy), "\x02"}};  // buckets named above "key"
  }

 private:
  static constexpr std::string_view kRevisionBucket = kKeyBucket;

  int version_;
};

}  // namespace cairn::storage::wt_key
