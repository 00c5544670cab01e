#include "wiredtiger_status.h"

#include <cerrno>
#include <cstdio>

namespace cairn::storage {

namespace {

// WiredTiger reports error details through the event handler on the failing
// thread, before returning the code; keep the text so the Status carries it.
thread_local std::string tlsWtError;

int onWtError(WT_EVENT_HANDLER*, WT_SESSION*, int, const char* message) {
  tlsWtError = message ? message : "";
  // Still printed: errors raised on WiredTiger's own threads reach no Status.
  std::fprintf(stderr, "storage-wiredtiger: %s\n", tlsWtError.c_str());
  return 0;
}

WT_EVENT_HANDLER gEventHandler = {onWtError, nullptr, nullptr, nullptr};

StatusCode codeFor(int ret) {
  switch (ret) {
    case WT_NOTFOUND:
    case ENOENT:
      return StatusCode::NotFound;
    case WT_ROLLBACK:
      return StatusCode::Aborted;
    case WT_CACHE_FULL:
    case ENOSPC:
    case ENOMEM:
      return StatusCode::ResourceExhausted;
    case WT_TRY_SALVAGE:
    case WT_PANIC:
      return StatusCode::DataLoss;
    case EACCES:
    case EPERM:
    case EROFS:
      return StatusCode::PermissionDenied;
    case EBUSY:
      return StatusCode::Unavailable;
    case EINVAL:
      return StatusCode::InvalidArgument;
    default:
      return StatusCode::Internal;
  }
}

}  // namespace

WT_EVENT_HANDLER* wtEventHandler() {
  return &gEventHandler;
}

void clearWtError() {
  tlsWtError.clear();
}

Status wtStatus(int ret, std::string_view what) {
  std::string msg = "wiredtiger: " + std::string(what) + ": " + wiredtiger_strerror(ret);
  if (!tlsWtError.empty()) {
    msg += " (" + tlsWtError + ")";
    tlsWtError.clear();
  }
  return Status(codeFor(ret), std::move(msg));
}

Status notOpen() {
  return Status(StatusCode::FailedPrecondition, "wiredtiger backend is not open");
}

Status openCursor(WT_SESSION* s, const std::string& uri, CursorGuard& guard, const char* config) {
  int ret = s->open_cursor(s, uri.c_str(), nullptr, config, &guard.cursor);
  if (ret != 0) {
    guard.cursor = nullptr;
    return wtStatus(ret, "open cursor on " + uri);
  }
  return Status::ok();
}

}  // namespace cairn::storage
