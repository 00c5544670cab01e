// Backends under contract test: each fixture knows how to make a fresh,
// empty backend and the options to open it with.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "cairn/storage.h"
#include "memory_backend.h"
#include "wiredtiger_backend.h"

namespace cairn::storage::test {

// A scratch directory removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-contract-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct MemoryFixture {
  static constexpr bool kPersistent = false;
  std::unique_ptr<Backend> make() { return std::make_unique<MemoryBackend>(); }
  Options options() { return Options{}; }
};

struct WiredTigerFixture {
  static constexpr bool kPersistent = true;
  TempDir dir;
  std::unique_ptr<Backend> make() { return std::make_unique<WiredTigerBackend>(); }
  Options options() {
    Options o;
    o.path = (dir.path() / "wt").string();
    return o;
  }
};

// An opened backend of fixture type F.
template <typename F>
struct Opened {
  F fixture;
  std::unique_ptr<Backend> backend;
  Opened() : backend(fixture.make()) {
    Status st = backend->open(fixture.options());
    INFO(st.message());
    REQUIRE(st.isOk());
  }
  ~Opened() {
    if (backend) backend->close();
  }
  Backend* operator->() { return backend.get(); }
};

inline void commitOk(Backend& b, const WriteBatch& batch) {
  Status st = b.commit(batch);
  INFO(st.message());
  REQUIRE(st.isOk());
}

inline std::optional<std::string> getOne(Backend& b, std::string_view bucket,
                                         std::string_view key) {
  return b.beginRead()->get(bucket, key);
}

// All (key, value) pairs of a range scan.
using Pairs = std::vector<std::pair<std::string, std::string>>;
inline Pairs scan(ReadTxn& txn, std::string_view bucket, std::string_view begin = "",
                  std::string_view end = "", std::size_t limit = 0, bool reverse = false) {
  Pairs out;
  Status st =
      txn.range(bucket, begin, end, limit, reverse, [&](std::string_view k, std::string_view v) {
        out.emplace_back(k, v);
        return true;
      });
  INFO(st.message());
  REQUIRE(st.isOk());
  return out;
}
inline Pairs scan(Backend& b, std::string_view bucket, std::string_view begin = "",
                  std::string_view end = "", std::size_t limit = 0, bool reverse = false) {
  return scan(*b.beginRead(), bucket, begin, end, limit, reverse);
}

// The whole state exported as one string.
inline std::string exportAll(Backend& b) {
  std::string out;
  Status st = b.exportState([&](std::string_view chunk) {
    out.append(chunk);
    return Status::ok();
  });
  INFO(st.message());
  REQUIRE(st.isOk());
  return out;
}

// Feeds `data` to importState in small chunks (exercises reassembly).
inline Status importAll(Backend& b, const std::string& data, std::size_t chunk = 1000) {
  std::size_t pos = 0;
  return b.importState([&](std::string& out) {
    if (pos >= data.size()) return false;
    out.assign(data, pos, chunk);
    pos += chunk;
    return true;
  });
}

}  // namespace cairn::storage::test

// The fixture list every TEMPLATE_TEST_CASE of the contract runs over.
#define CAIRN_CONTRACT_FIXTURES \
  cairn::storage::test::MemoryFixture, cairn::storage::test::WiredTigerFixture
