// Replaces a backend's state with the buckets of a bbolt database file (an
// etcd 3.4 backend or restored snapshot). The file is walked page by page on
// a helper thread and fed to Backend::importState as the kernel's storage
// stream, so memory stays small; importState only replaces the state once
// the whole stream arrived and verified, so a bad file changes nothing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "cairn/storage_stream.h"

namespace cairn::snapshot {

struct BboltImportOptions {
  // The backend bucket each file bucket is copied into (byte for byte), or
  // nullopt to leave it out.
  std::function<std::optional<std::string>(std::string_view bucket)> bucketName;
  // Records added after the copied ones.
  std::vector<storage::StreamRecord> extra;
};

Status importFromBbolt(const std::string& dbPath, storage::Backend& backend,
                       const BboltImportOptions& options);

}  // namespace cairn::snapshot
