#include "wal/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "wal/file_util.h"

namespace cairn::wal {

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    dir_ = std::move(other.dir_);
    other.fd_ = -1;
  }
  return *this;
}

Status DirLock::acquire(const std::string& dir) {
  release();
  int fd = openCloexec(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errnoStatus(errno, "open directory", dir);
  // flock locks belong to the open file description, so a second open of the
  // same directory, even in this process, conflicts; the lock follows the
  // inode across a rename of the directory.
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status(StatusCode::FailedPrecondition,
                    "wal: directory " + dir + " is locked by another process");
    }
    return errnoStatus(err, "lock directory", dir);
  }
  fd_ = fd;
  dir_ = dir;
  return Status::ok();
}

void DirLock::release() {
  if (fd_ >= 0) {
    ::close(fd_);  // closing the last descriptor drops the flock
    fd_ = -1;
  }
}

}  // namespace cairn::wal
