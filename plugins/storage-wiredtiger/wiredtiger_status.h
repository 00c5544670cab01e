// The WiredTiger C API in Cairn's terms: return codes as Status (with the
// message WiredTiger gave its event handler), WT_ITEMs over string views, and
// cursors closed by scope. Shared by the backend and its read transaction.
#pragma once

#include <wiredtiger.h>

#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::storage {

// The handler to open connections with: it keeps the last error message of
// the calling thread for wtStatus() (and prints it, since errors raised on
// WiredTiger's own threads reach no Status).
WT_EVENT_HANDLER* wtEventHandler();
// Forgets the calling thread's last error message.
void clearWtError();
// `ret` as a Status: a code by kind of failure and "wiredtiger: <what>: ...".
Status wtStatus(int ret, std::string_view what);
Status notOpen();

inline WT_ITEM item(std::string_view s) {
  WT_ITEM it{};
  it.data = s.data();
  it.size = s.size();
  return it;
}

inline std::string_view view(const WT_ITEM& it) {
  return std::string_view(static_cast<const char*>(it.data), it.size);
}

// Closes a cursor when leaving scope (the session caches it for reuse).
struct CursorGuard {
  WT_CURSOR* cursor = nullptr;
  CursorGuard() = default;
  CursorGuard(const CursorGuard&) = delete;
  CursorGuard& operator=(const CursorGuard&) = delete;
  ~CursorGuard() {
    if (cursor != nullptr) cursor->close(cursor);
  }
};

Status openCursor(WT_SESSION* s, const std::string& uri, CursorGuard& guard,
                  const char* config = nullptr);

}  // namespace cairn::storage
