#include "snapshot_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace cairn::transport {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kReadChunkBytes = 256 * 1024;

Status ioError(const std::string& what, const std::string& path) {
  return Status(StatusCode::Internal, what + " " + path + ": " + std::strerror(errno));
}

std::string stateName(uint64_t term, uint64_t index) {
  char name[64];
  std::snprintf(name, sizeof name, "%016" PRIx64 "-%016" PRIx64 ".state", term, index);
  return name;
}

}  // namespace

std::string snapshotStatePath(const std::string& dir, uint64_t term, uint64_t index) {
  return dir + "/" + stateName(term, index);
}

void purgeSnapshotStateFiles(const std::string& dir, uint64_t belowIndex, bool unfinished) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t term = 0, index = 0;
    int used = 0;
    if (std::sscanf(name.c_str(), "%16" SCNx64 "-%16" SCNx64 ".state%n", &term, &index, &used) !=
            2 ||
        used == 0) {
      continue;
    }
    if (name.size() > static_cast<std::size_t>(used)) {  // "….state.part"
      if (unfinished && name.substr(used) == ".part") fs::remove(entry.path(), ec);
      continue;
    }
    if (index < belowIndex) fs::remove(entry.path(), ec);
  }
}

SnapshotFileWriter::SnapshotFileWriter(std::string dir, uint64_t term, uint64_t index)
    : dir_(std::move(dir)),
      path_(snapshotStatePath(dir_, term, index)),
      scratch_(path_ + ".part") {}

SnapshotFileWriter::~SnapshotFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(scratch_.c_str());
}

Status SnapshotFileWriter::open() {
  fd_ = ::open(scratch_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) return ioError("cannot create", scratch_);
  return Status::ok();
}

Status SnapshotFileWriter::append(std::string_view chunk) {
  crc_.process_bytes(chunk.data(), chunk.size());
  bytes_ += chunk.size();
  while (!chunk.empty()) {
    const ssize_t n = ::write(fd_, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot write", scratch_);
    }
    chunk.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status SnapshotFileWriter::commit(uint64_t expectedBytes, uint32_t expectedCrc) {
  if (bytes_ != expectedBytes || crc_.checksum() != expectedCrc) {
    return Status(StatusCode::DataLoss, "snapshot state: received " + std::to_string(bytes_) +
                                            " bytes (crc " + std::to_string(crc_.checksum()) +
                                            "), the sender sent " + std::to_string(expectedBytes) +
                                            " (crc " + std::to_string(expectedCrc) + ")");
  }
  if (::fsync(fd_) != 0) return ioError("cannot fsync", scratch_);
  ::close(fd_);
  fd_ = -1;
  if (::rename(scratch_.c_str(), path_.c_str()) != 0) return ioError("cannot rename", scratch_);
  committed_ = true;
  const int dirFd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    const int rc = ::fsync(dirFd);
    ::close(dirFd);
    if (rc != 0) return ioError("cannot fsync", dir_);
  }
  return Status::ok();
}

SnapshotFileReader::~SnapshotFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status SnapshotFileReader::open() {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    status_ = errno == ENOENT ? Status(StatusCode::NotFound, "no snapshot state file " + path_)
                              : ioError("cannot open", path_);
  }
  return status_;
}

bool SnapshotFileReader::next(std::string& chunk) {
  if (fd_ < 0 || !status_) return false;
  chunk.resize(kReadChunkBytes);
  for (;;) {
    const ssize_t n = ::read(fd_, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status_ = ioError("cannot read", path_);
      return false;
    }
    chunk.resize(static_cast<std::size_t>(n));
    return n > 0;
  }
}

}  // namespace cairn::transport
