#include "wal/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::wal {

Status errnoStatus(int err, std::string_view what, const std::string& path) {
  std::string msg = "wal: ";
  msg.append(what);
  msg += " ";
  msg += path;
  msg += ": ";
  msg += std::strerror(err);
  return Status(err == ENOENT ? StatusCode::NotFound : StatusCode::Internal, std::move(msg));
}

int openCloexec(const std::string& path, int flags, unsigned mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

Status fsyncDir(const std::string& dir) {
  int fd = openCloexec(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errnoStatus(errno, "open directory", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errnoStatus(err, "fsync directory", dir);
  return Status::ok();
}

Status preallocate(int fd, uint64_t size, const std::string& path) {
  if (size == 0) return Status::ok();
  // fallocate (not posix_fallocate) so an unsupported filesystem is reported
  // instead of glibc silently writing `size` zero bytes; there we fall back
  // to a sparse extension, which still reads as zeros.
  int rc;
  do {
    rc = ::fallocate(fd, 0, 0, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Status::ok();
  if (errno != EOPNOTSUPP && errno != ENOSYS) return errnoStatus(errno, "fallocate", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) return errnoStatus(errno, "stat", path);
  if (static_cast<uint64_t>(st.st_size) >= size) return Status::ok();
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return errnoStatus(errno, "extend", path);
  return Status::ok();
}

Status readWholeFile(const std::string& path, std::string* out) {
  int fd = openCloexec(path, O_RDONLY);
  if (fd < 0) return errnoStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errnoStatus(err, "stat", path);
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = ::pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return errnoStatus(err, "read", path);
    }
    if (n == 0) break;  // shrank under us: keep what exists
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  ::close(fd);
  return Status::ok();
}

Status listDir(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errnoStatus(errno, "open directory", dir);
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    names->push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return errnoStatus(err, "read directory", dir);
  return Status::ok();
}

std::string parentDir(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

Status createDirAll(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::ok();
    return Status(StatusCode::FailedPrecondition, "wal: " + dir + " exists and is not a directory");
  }
  std::string parent = parentDir(dir);
  if (parent != dir) {
    Status s = createDirAll(parent);
    if (!s) return s;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return errnoStatus(errno, "mkdir", dir);
  return fsyncDir(parent);
}

}  // namespace cairn::wal
