// Small POSIX helpers the WAL and the snapshotter share. They turn errno into
// Status with the path in the message, because a durability failure that does
// not say which file failed is useless to an operator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn::wal {

// errno -> Status (Internal, or NotFound for ENOENT) naming `what` and `path`.
Status errnoStatus(int err, std::string_view what, const std::string& path);

// Writes all of `data` at the file's current position, retrying short writes
// and EINTR.
Status writeAll(int fd, std::string_view data, const std::string& path);

// fsync on a directory, so a create/rename/unlink inside it is durable.
Status fsyncDir(const std::string& dir);

// Reserves `size` bytes for the file (extending its size) so appends do not
// allocate blocks on the commit path and unwritten space reads as zeros.
Status preallocate(int fd, uint64_t size, const std::string& path);

// Reads a whole file into memory.
Status readWholeFile(const std::string& path, std::string* out);

// Regular-file names in `dir` (no "." or ".."), unsorted.
Status listDir(const std::string& dir, std::vector<std::string>* names);

// Creates `dir` and its missing parents (mkdir -p), fsyncing each parent in
// which a new directory entry appeared.
Status createDirAll(const std::string& dir);

// Parent directory of `path` ("." when there is none).
std::string parentDir(const std::string& path);

// Opens with O_CLOEXEC so a fork+exec never inherits WAL descriptors (or the
// directory lock). Returns -1 and sets errno on failure.
int openCloexec(const std::string& path, int flags, unsigned mode = 0644);

}  // namespace cairn::wal
