// WtReadTxn: a ReadTxn of WiredTigerBackend, a snapshot-isolation
// transaction on a session borrowed from the backend's pool for its
// lifetime, so it never blocks commits.
#pragma once

#include <wiredtiger.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/storage.h"
#include "wiredtiger_backend.h"
#include "wiredtiger_status.h"

namespace cairn::storage {

class WtReadTxn : public ReadTxn {
 public:
  // Reads what was committed to `table` when it returns.
  WtReadTxn(WiredTigerBackend& backend, std::string table);
  ~WtReadTxn() override;
  WtReadTxn(const WtReadTxn&) = delete;
  WtReadTxn& operator=(const WtReadTxn&) = delete;

  const Status& initStatus() const { return init_; }

  std::optional<std::string> get(std::string_view bucket, std::string_view key) override;
  Status range(std::string_view bucket, std::string_view begin, std::string_view end,
               std::size_t limit, bool reverse, const KeyValueVisitor& visit) override;
  // Every row of the table, buckets in name order whatever the row layout
  // (export).
  Status scanAll(const std::function<Status(std::string_view row, std::string_view value)>& fn);

 private:
  // Rows in [lo, hi) in order; an empty lo or hi is the table's start or end.
  Status scanRows(std::string_view lo, std::string_view hi,
                  const std::function<Status(std::string_view row, std::string_view value)>& fn);

  WiredTigerBackend& backend_;
  std::string table_;
  WT_SESSION* session_ = nullptr;
  bool inTxn_ = false;
  Status init_;
  CursorGuard getCursor_;
};

}  // namespace cairn::storage
