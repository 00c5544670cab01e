// The backend-neutral stream format of Backend::exportState / importState.
//
// Every backend writes and reads this one format, so a state exported from
// WiredTiger imports into the memory backend and back (snapshots sent to a
// follower do not depend on the sender's backend). Layout, integers little
// endian:
//
//   header   "CAIRNSTS" (8 bytes) | version u32
//   record*  0x01 | bucket_len u32 | key_len u32 | value_len u32 | bucket | key | value
//   trailer  0x02 | record_count u64 | crc32c u32
//
// The CRC-32C (Castagnoli, as in the WAL) covers every byte before it. A
// receiver cannot trust any record until the trailer checks out, so backends
// stage an import and only replace their state once StreamDecoder::next has
// reported the end of a valid stream.
//
// Header-only on purpose: the SDK is an INTERFACE target, and plugins must be
// able to use the codec without linking a kernel library.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "cairn/crc32c.h"
#include "cairn/status.h"

namespace cairn::storage {

inline constexpr std::string_view kStreamMagic = "CAIRNSTS";
inline constexpr uint32_t kStreamVersion = 1;
// Upper bound on one field; a larger length can only come from corruption and
// is rejected before the decoder waits for that many bytes.
inline constexpr uint32_t kStreamMaxFieldBytes = 1u << 30;

// CRC-32C, the WAL's (cairn/crc32c.h).
using StreamCrc = Crc32c;

struct StreamRecord {
  std::string bucket;
  std::string key;
  std::string value;
};

namespace stream_detail {
inline constexpr char kRecordTag = 0x01;
inline constexpr char kTrailerTag = 0x02;
inline constexpr std::size_t kHeaderBytes = 8 + 4;
inline constexpr std::size_t kRecordFixedBytes = 1 + 4 + 4 + 4;
inline constexpr std::size_t kTrailerBytes = 1 + 8 + 4;

inline void appendLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint64_t readLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
}  // namespace stream_detail

// Writes a stream to `sink` in chunks of about `chunkBytes`. Call begin(),
// add() per record, then finish(); the first failing sink status is returned
// by that call and every later one.
class StreamEncoder {
 public:
  using Sink = std::function<Status(std::string_view chunk)>;

  explicit StreamEncoder(Sink sink, std::size_t chunkBytes = 64 * 1024)
      : sink_(std::move(sink)), chunkBytes_(chunkBytes) {}

  Status begin() {
    buffer_.append(kStreamMagic);
    stream_detail::appendLe(buffer_, kStreamVersion, 4);
    return maybeFlush();
  }

  Status add(std::string_view bucket, std::string_view key, std::string_view value) {
    if (!failed_.isOk()) return failed_;
    if (bucket.size() > kStreamMaxFieldBytes || key.size() > kStreamMaxFieldBytes ||
        value.size() > kStreamMaxFieldBytes) {
      return Status(StatusCode::InvalidArgument, "storage stream: record field larger than 1 GiB");
    }
    buffer_.push_back(stream_detail::kRecordTag);
    stream_detail::appendLe(buffer_, bucket.size(), 4);
    stream_detail::appendLe(buffer_, key.size(), 4);
    stream_detail::appendLe(buffer_, value.size(), 4);
    buffer_.append(bucket);
    buffer_.append(key);
    buffer_.append(value);
    ++records_;
    return maybeFlush();
  }

  Status finish() {
    if (!failed_.isOk()) return failed_;
    buffer_.push_back(stream_detail::kTrailerTag);
    stream_detail::appendLe(buffer_, records_, 8);
    crc_.process_bytes(buffer_.data(), buffer_.size());
    std::string crcBytes;
    stream_detail::appendLe(crcBytes, crc_.checksum(), 4);
    // The CRC is not part of what it covers, so it is appended after hashing.
    std::string chunk = std::move(buffer_);
    chunk += crcBytes;
    buffer_.clear();
    return emit(chunk);
  }

  uint64_t records() const { return records_; }

 private:
  Status maybeFlush() {
    if (buffer_.size() < chunkBytes_) return Status::ok();
    crc_.process_bytes(buffer_.data(), buffer_.size());
    Status st = emit(buffer_);
    buffer_.clear();
    return st;
  }
  Status emit(std::string_view chunk) {
    if (!failed_.isOk()) return failed_;
    failed_ = sink_(chunk);
    return failed_;
  }

  Sink sink_;
  std::size_t chunkBytes_;
  std::string buffer_;
  StreamCrc crc_;
  uint64_t records_ = 0;
  Status failed_;
};

// Reads a stream pulled from `source` (fills its argument, returns false at
// end of input). next() yields records one by one; it sets `done` only after
// the trailer's count and CRC matched and no byte follows it. Any error is
// sticky and has code DataLoss (corrupt/truncated) or FailedPrecondition
// (a version this build does not read).
class StreamDecoder {
 public:
  using Source = std::function<bool(std::string& chunk)>;

  explicit StreamDecoder(Source source) : source_(std::move(source)) {}

  Status next(StreamRecord& record, bool& done) {
    done = false;
    if (!error_.isOk()) return error_;
    if (finished_) {
      done = true;
      return Status::ok();
    }
    if (!headerRead_) {
      if (!fill(stream_detail::kHeaderBytes)) return fail("truncated header");
      if (std::string_view(data(), kStreamMagic.size()) != kStreamMagic) {
        return fail("bad magic (not a cairn storage stream)");
      }
      uint32_t version = static_cast<uint32_t>(stream_detail::readLe(data() + 8, 4));
      if (version != kStreamVersion) {
        error_ = Status(StatusCode::FailedPrecondition,
                        "storage stream: unsupported version " + std::to_string(version) +
                            " (this build reads version " + std::to_string(kStreamVersion) + ")");
        return error_;
      }
      consume(stream_detail::kHeaderBytes);
      headerRead_ = true;
    }
    if (!fill(1)) return fail("truncated: missing trailer");
    char tag = data()[0];
    if (tag == stream_detail::kRecordTag) {
      if (!fill(stream_detail::kRecordFixedBytes)) return fail("truncated record header");
      uint64_t lens[3];
      for (int i = 0; i < 3; ++i) lens[i] = stream_detail::readLe(data() + 1 + 4 * i, 4);
      for (uint64_t len : lens) {
        if (len > kStreamMaxFieldBytes) return fail("record field length out of range");
      }
      std::size_t total = stream_detail::kRecordFixedBytes + lens[0] + lens[1] + lens[2];
      if (!fill(total)) return fail("truncated record");
      const char* p = data() + stream_detail::kRecordFixedBytes;
      record.bucket.assign(p, lens[0]);
      record.key.assign(p + lens[0], lens[1]);
      record.value.assign(p + lens[0] + lens[1], lens[2]);
      consume(total);
      ++records_;
      return Status::ok();
    }
    if (tag != stream_detail::kTrailerTag) return fail("unknown record tag");
    if (!fill(stream_detail::kTrailerBytes)) return fail("truncated trailer");
    uint64_t count = stream_detail::readLe(data() + 1, 8);
    crc_.process_bytes(data(), 1 + 8);
    uint32_t expected = static_cast<uint32_t>(stream_detail::readLe(data() + 9, 4));
    consume(stream_detail::kTrailerBytes, /*hash=*/false);
    if (crc_.checksum() != expected) return fail("CRC-32C mismatch");
    if (count != records_) return fail("record count mismatch");
    if (fill(1)) return fail("trailing bytes after trailer");
    finished_ = true;
    done = true;
    return Status::ok();
  }

  uint64_t records() const { return records_; }

 private:
  const char* data() const { return buffer_.data() + offset_; }
  std::size_t available() const { return buffer_.size() - offset_; }

  // Pulls chunks until `n` unread bytes are buffered; false if the source ends first.
  bool fill(std::size_t n) {
    while (available() < n) {
      if (sourceEnded_) return false;
      if (offset_ > 0) {
        buffer_.erase(0, offset_);
        offset_ = 0;
      }
      chunk_.clear();
      if (!source_(chunk_)) {
        sourceEnded_ = true;
        return available() >= n;
      }
      buffer_.append(chunk_);
    }
    return true;
  }

  void consume(std::size_t n, bool hash = true) {
    if (hash) crc_.process_bytes(data(), n);
    offset_ += n;
  }

  Status fail(const std::string& what) {
    error_ = Status(StatusCode::DataLoss, "storage stream corrupt: " + what + " (after " +
                                              std::to_string(records_) + " records)");
    return error_;
  }

  Source source_;
  std::string buffer_;
  std::size_t offset_ = 0;
  std::string chunk_;
  StreamCrc crc_;
  uint64_t records_ = 0;
  bool headerRead_ = false;
  bool sourceEnded_ = false;
  bool finished_ = false;
  Status error_;
};

}  // namespace cairn::storage
