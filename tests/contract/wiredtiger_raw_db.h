// Direct access to a WiredTiger backend's tables, below the backend (which
// must be closed): to write the data dirs older Cairns left, and to look at
// the rows a backend wrote.
#pragma once

#include <wiredtiger.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wiredtiger_tables.h"

namespace cairn::storage::test {

// Direct access to the tables, below the backend (the backend is closed).
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    std::filesystem::create_directories(path);
    REQUIRE(wiredtiger_open(path.string().c_str(), nullptr, "create,log=(enabled=false)", &conn_) ==
            0);
    REQUIRE(conn_->open_session(conn_, nullptr, nullptr, &session_) == 0);
  }
  ~RawDb() { conn_->close(conn_, nullptr); }  // closing checkpoints

  void put(const char* table, std::string_view key, std::string_view value) {
    REQUIRE(session_->create(session_, table, kTableFormat) == 0);
    withCursor(table, [&](WT_CURSOR* c) {
      WT_ITEM k = item(key), v = item(value);
      c->set_key(c, &k);
      c->set_value(c, &v);
      REQUIRE(c->insert(c) == 0);
    });
  }

  void del(const char* table, std::string_view key) {
    withCursor(table, [&](WT_CURSOR* c) {
      WT_ITEM k = item(key);
      c->set_key(c, &k);
      REQUIRE(c->remove(c) == 0);
    });
  }

  // Many rows in one cursor, committed every 10,000.
  void putAll(const char* table, const std::vector<std::pair<std::string, std::string>>& rows) {
    REQUIRE(session_->create(session_, table, kTableFormat) == 0);
    withCursor(table, [&](WT_CURSOR* c) {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i % 10000 == 0) REQUIRE(session_->begin_transaction(session_, nullptr) == 0);
        WT_ITEM k = item(rows[i].first), v = item(rows[i].second);
        c->set_key(c, &k);
        c->set_value(c, &v);
        REQUIRE(c->insert(c) == 0);
        if (i % 10000 == 9999 || i + 1 == rows.size()) {
          REQUIRE(session_->commit_transaction(session_, nullptr) == 0);
        }
      }
    });
  }

  // Every row key of a table, in order.
  std::vector<std::string> keys(const char* table) {
    std::vector<std::string> out;
    withCursor(table, [&](WT_CURSOR* c) {
      while (c->next(c) == 0) {
        WT_ITEM k{};
        REQUIRE(c->get_key(c, &k) == 0);
        out.emplace_back(static_cast<const char*>(k.data), k.size);
      }
    });
    return out;
  }

  std::optional<std::string> get(const char* table, std::string_view key) {
    std::optional<std::string> out;
    withCursor(table, [&](WT_CURSOR* c) {
      WT_ITEM k = item(key);
      c->set_key(c, &k);
      if (c->search(c) != 0) return;
      WT_ITEM v{};
      REQUIRE(c->get_value(c, &v) == 0);
      out.emplace(static_cast<const char*>(v.data), v.size);
    });
    return out;
  }

 private:
  static WT_ITEM item(std::string_view bytes) {
    return WT_ITEM{bytes.data(), bytes.size(), nullptr, 0, 0};
  }

  template <typename F>
  void withCursor(const char* table, F&& use) {
    WT_CURSOR* c = nullptr;
    REQUIRE(session_->open_cursor(session_, table, nullptr, nullptr, &c) == 0);
    use(c);
    c->close(c);
  }

  WT_CONNECTION* conn_ = nullptr;
  WT_SESSION* session_ = nullptr;
};

}  // namespace cairn::storage::test
