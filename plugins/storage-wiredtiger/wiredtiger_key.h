// Row keys of the WiredTiger backend's single data table:
//
//   escape(bucket) 0x00 0x01 key      escape(): each 0x00 becomes 0x00 0xff
//
// memcmp order of row keys equals (bucket, key) order: a bucket name that is a
// prefix of another ends with 0x00 0x01, below any continuation byte (a real
// byte >= 0x01 or an escaped NUL 0x00 0xff). So one bucket is one contiguous
// key range [prefix, prefix with the last byte 0x02).
#pragma once

#include <string>
#include <string_view>

namespace cairn::storage::wt_key {

inline std::string bucketPrefix(std::string_view bucket) {
  std::string out;
  out.reserve(bucket.size() + 2);
  for (char c : bucket) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xff');
  }
  out.push_back('\0');
  out.push_back('\x01');
  return out;
}

// First row key past every key of the bucket with this prefix.
inline std::string bucketEnd(std::string prefix) {
  prefix.back() = '\x02';
  return prefix;
}

// Splits a row key; false if it is not one this backend wrote.
inline bool split(std::string_view row, std::string& bucket, std::string_view& key) {
  bucket.clear();
  for (std::size_t i = 0; i + 1 < row.size(); ++i) {
    if (row[i] != '\0') {
      bucket.push_back(row[i]);
      continue;
    }
    if (row[i + 1] == '\x01') {
      key = row.substr(i + 2);
      return true;
    }
    if (row[i + 1] != '\xff') return false;
    bucket.push_back('\0');
    ++i;
  }
  return false;
}

}  // namespace cairn::storage::wt_key
