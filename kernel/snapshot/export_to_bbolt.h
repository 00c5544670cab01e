// Writes a backend's state as etcd's bbolt database (EtcdDbWriter), reading
// the backend's export stream as it is produced: exportState pushes chunks
// on a helper thread, this thread decodes and writes them, and a bounded
// queue between the two keeps memory small whatever the database size. The
// export comes from one consistent snapshot of the backend, and nothing is
// complete until the stream's trailer verified.
#pragma once

#include <cstdint>

#include "bbolt_writer.h"
#include "cairn/status.h"
#include "cairn/storage.h"

namespace cairn::snapshot {

Status exportToBbolt(storage::Backend& backend, const BboltWriter::WriteAt& writeAt,
                     uint64_t* fileBytes);

}  // namespace cairn::snapshot
