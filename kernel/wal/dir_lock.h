// Exclusive advisory lock (flock) on a WAL directory, so two processes (or two
// Wal objects in one process) can never append to the same log.
#pragma once

#include <string>

#include "cairn/status.h"

namespace cairn::wal {

class DirLock {
 public:
  DirLock() = default;
  ~DirLock() { release(); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  DirLock(DirLock&& other) noexcept : fd_(other.fd_), dir_(std::move(other.dir_)) {
    other.fd_ = -1;
  }
  DirLock& operator=(DirLock&& other) noexcept;

  // Takes the lock without waiting; FailedPrecondition if someone holds it.
  Status acquire(const std::string& dir);
  void release();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;  // the locked directory's descriptor; the lock lives as long as it is open
  std::string dir_;
};

}  // namespace cairn::wal
