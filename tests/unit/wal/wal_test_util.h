// Shared helpers for the WAL unit tests: scratch directories and entries.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cairn/raftpb.pb.h"

namespace cairn::wal::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  // `preferMemory`: use /dev/shm when it exists, for tests that reopen a WAL
  // thousands of times and check parsing, not the disk (fsync is free there).
  explicit TempDir(bool preferMemory = false) {
    const char* base = std::getenv("TMPDIR");
    std::string root = base != nullptr ? base : "/tmp";
    if (preferMemory && std::filesystem::is_directory("/dev/shm")) root = "/dev/shm";
    std::string tmpl = root + "/cairn-wal-test-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Entry data is non-zero throughout so the tests can find the end of the
// written records in a preallocated (zero-filled) segment.
inline raftpb::Entry makeEntry(uint64_t index, uint64_t term, size_t dataSize = 40) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  std::string data(dataSize, 'a');
  for (size_t i = 0; i < dataSize; ++i) data[i] = static_cast<char>('a' + (index + i) % 26);
  e.set_data(data);
  return e;
}

inline std::vector<raftpb::Entry> makeEntries(uint64_t from, uint64_t to, uint64_t term,
                                              size_t dataSize = 40) {
  std::vector<raftpb::Entry> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(makeEntry(i, term, dataSize));
  return out;
}

inline raftpb::HardState makeState(uint64_t term, uint64_t vote, uint64_t commit) {
  raftpb::HardState hs;
  hs.set_term(term);
  hs.set_vote(vote);
  hs.set_commit(commit);
  return hs;
}

inline bool sameEntry(const raftpb::Entry& a, const raftpb::Entry& b) {
  return a.index() == b.index() && a.term() == b.term() && a.type() == b.type() &&
         a.data() == b.data();
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Offset just past the last non-zero byte, rounded up to the record
// alignment: the end of the written records when their payloads end in
// non-zero bytes.
inline uint64_t dataEnd(const std::string& data) {
  uint64_t end = data.size();
  while (end > 0 && data[end - 1] == '\0') --end;
  return (end + 7) / 8 * 8;
}

}  // namespace cairn::wal::testing
