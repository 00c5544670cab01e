#include "import_from_bbolt.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "bbolt_reader.h"
#include "chunk_pipe.h"

namespace cairn::snapshot {
namespace {

// Closes the descriptor on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status ioError(const std::string& what) {
  return Status(StatusCode::FailedPrecondition, what + ": " + std::strerror(errno));
}

// Encodes the kept buckets of `reader` and the extra records into `sink`.
Status encodeBuckets(BboltReader& reader, const BboltImportOptions& options,
                     const storage::StreamEncoder::Sink& sink) {
  storage::StreamEncoder encoder(sink);
  if (Status st = encoder.begin(); !st) return st;
  std::vector<std::string> names;
  if (Status st = reader.bucketNames(&names); !st) return st;
  for (const std::string& name : names) {
    const std::optional<std::string> into = options.bucketName(name);
    if (!into) continue;
    Status added;
    Status st = reader.forEach(name, [&](std::string_view k, std::string_view v) {
      added = encoder.add(*into, k, v);
      return added.isOk();
    });
    if (!st) return st;
    if (!added) return added;
  }
  for (const storage::StreamRecord& r : options.extra) {
    if (Status st = encoder.add(r.bucket, r.key, r.value); !st) return st;
  }
  return encoder.finish();
}

}  // namespace

Status importFromBbolt(const std::string& dbPath, storage::Backend& backend,
                       const BboltImportOptions& options) {
  Fd file;
  file.fd = ::open(dbPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) return ioError("cannot open " + dbPath);
  struct stat info;
  if (::fstat(file.fd, &info) != 0) return ioError("cannot stat " + dbPath);
  BboltReader reader(
      [fd = file.fd, &dbPath](uint64_t offset, std::size_t n, std::string* out) {
        out->assign(n, '\0');
        std::size_t got = 0;
        while (got < n) {
          ssize_t r = ::pread(fd, out->data() + got, n - got, static_cast<off_t>(offset + got));
          if (r < 0 && errno == EINTR) continue;
          if (r < 0) return ioError("cannot read " + dbPath);
          if (r == 0) break;
          got += static_cast<std::size_t>(r);
        }
        out->resize(got);
        return Status::ok();
      },
      static_cast<uint64_t>(info.st_size));
  if (Status st = reader.open(); !st) return Status(st.code(), dbPath + ": " + st.message());

  ChunkPipe pipe;
  Status encoded;  // written by the encoder thread, read after join
  std::thread encoder([&] {
    encoded = encodeBuckets(reader, options, [&](std::string_view chunk) {
      if (pipe.push(chunk)) return Status::ok();
      return Status(StatusCode::Cancelled, "import: the backend stopped reading");
    });
    // A failed encoding ends the stream without its trailer, so the backend
    // rejects it and keeps its state.
    pipe.close();
  });
  Status imported = backend.importState([&](std::string& chunk) { return pipe.pop(chunk); });
  pipe.abandon();
  encoder.join();
  if (!encoded && encoded.code() != StatusCode::Cancelled) {
    return Status(encoded.code(), dbPath + ": " + encoded.message());
  }
  return imported;
}

}  // namespace cairn::snapshot
