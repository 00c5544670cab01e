#include "snapshot_stream.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "background_priority.h"
#include "etcdserverpb/rpc.pb.h"
#include "fatal.h"
#include "snapshot/export_to_bbolt.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/snapshot_stream.cpp";
// etcd's v3rpc snapshotSendBufferSize.
constexpr std::size_t kSendBytes = 32 * 1024;

Status ioError(const std::string& what) {
  return Status(StatusCode::Unknown, "snapshot: " + what + ": " + std::strerror(errno));
}

}  // namespace

SnapshotStream::SnapshotStream(storage::Backend& backend, std::string scratchDir, Logger& logger,
                               std::function<void()> onReady)
    : backend_(backend),
      scratchDir_(std::move(scratchDir)),
      logger_(logger),
      onReady_(std::move(onReady)),
      sha_(EVP_MD_CTX_new()) {
  if (sha_ == nullptr || EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) != 1) {
    fatal(logger_, kCaller, "cannot initialise SHA-256 (OpenSSL out of memory)", {});
  }
}

SnapshotStream::~SnapshotStream() {
  close();
  if (worker_.joinable()) worker_.join();
  if (fd_ >= 0) ::close(fd_);
  EVP_MD_CTX_free(sha_);
}

void SnapshotStream::onMessage(const google::protobuf::Message& /*request*/) {
  std::lock_guard lk(mu_);
  if (started_ || !onReady_) return;
  started_ = true;
  worker_ = std::thread([this] { build(); });
}

void SnapshotStream::build() {
  // The export (this thread and the backend reader it starts) is bulk work:
  // clients' writes go first.
  pthread_setname_np(pthread_self(), "cairn-snapshot");
  lowerBackgroundPriority();
  Status st;
  int fd = -1;
  uint64_t bytes = 0;
  std::error_code ec;
  std::filesystem::create_directories(scratchDir_, ec);
  std::string path = scratchDir_ + "/.cairn-snapshot-XXXXXX";
  fd = ::mkstemp(path.data());
  if (fd < 0) {
    st = ioError("create a scratch file in " + scratchDir_);
  } else {
    // Unlinked at once: the file goes away with the descriptor, even on a crash.
    ::unlink(path.c_str());
    st = snapshot::exportToBbolt(
        backend_,
        [this, fd](uint64_t offset, std::string_view data) {
          if (cancelled_.load()) return Status(StatusCode::Cancelled, "snapshot: cancelled");
          std::size_t done = 0;
          while (done < data.size()) {
            ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return ioError("write the scratch file");
            done += static_cast<std::size_t>(n);
          }
          return Status::ok();
        },
        &bytes);
  }
  if (st) {
    logger_.info(kCaller, "sending database snapshot to client",
                 jsonField("total-bytes", static_cast<long long>(bytes)));
  } else if (st.code() != StatusCode::Cancelled) {
    logger_.warn(kCaller, "failed to write the database snapshot",
                 jsonField("error", st.message()));
  }
  std::function<void()> ready;
  {
    std::lock_guard lk(mu_);
    fd_ = fd;
    total_ = bytes;
    buildStatus_ = st;
    built_ = true;
    ready = onReady_;
  }
  if (ready) ready();
}

StreamCall::Next SnapshotStream::poll(std::unique_ptr<google::protobuf::Message>* out,
                                      Status* finalStatus) {
  std::lock_guard lk(mu_);
  if (!built_) return Next::Idle;
  if (!buildStatus_) {
    *finalStatus = buildStatus_;
    return Next::Finished;
  }
  if (sent_ < total_) {
    auto resp = std::make_unique<etcdserverpb::SnapshotResponse>();
    std::string blob(std::min<uint64_t>(kSendBytes, total_ - sent_), '\0');
    std::size_t got = 0;
    while (got < blob.size()) {
      ssize_t n =
          ::pread(fd_, blob.data() + got, blob.size() - got, static_cast<off_t>(sent_ + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        buildStatus_ = n < 0 ? ioError("read the scratch file")
                             : Status(StatusCode::Unknown, "snapshot: scratch file shrank");
        *finalStatus = buildStatus_;
        return Next::Finished;
      }
      got += static_cast<std::size_t>(n);
    }
    EVP_DigestUpdate(sha_, blob.data(), blob.size());
    sent_ += blob.size();
    resp->set_remaining_bytes(total_ - sent_);
    resp->set_blob(std::move(blob));
    *out = std::move(resp);
    return Next::Message;
  }
  if (!shaSent_) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestBytes = 0;
    EVP_DigestFinal_ex(sha_, digest, &digestBytes);
    auto resp = std::make_unique<etcdserverpb::SnapshotResponse>();
    resp->set_remaining_bytes(0);
    resp->set_blob(reinterpret_cast<const char*>(digest), digestBytes);
    shaSent_ = true;
    logger_.info(kCaller, "successfully sent database snapshot to client",
                 jsonField("total-bytes", static_cast<long long>(total_)));
    *out = std::move(resp);
    return Next::Message;
  }
  *finalStatus = Status::ok();
  return Next::Finished;
}

void SnapshotStream::close() {
  cancelled_.store(true);
  std::lock_guard lk(mu_);
  onReady_ = nullptr;
}

}  // namespace cairn::server
