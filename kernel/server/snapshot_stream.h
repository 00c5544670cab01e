// SnapshotStream: Maintenance.Snapshot, etcd's snapshot stream.
//
// When the request arrives, a worker thread writes the backend's state as
// etcd 3.4's bbolt database (kernel/snapshot) into an unlinked scratch file
// under the member's snap directory: bbolt's meta pages come first in the
// file but are only known at the end, so the database cannot go straight to
// the client, and a file keeps memory small whatever the size. The export
// reads a consistent snapshot of the backend and does not hold the apply
// loop. Then poll() sends it as etcd does: 32 KiB blobs with remaining_bytes
// counting down, then one last message whose blob is the SHA-256 of every
// byte sent (remaining_bytes 0), which `etcdctl snapshot restore` verifies.
//
// Threads: onMessage/poll/close from the frontend (any thread); the worker
// writes the file. mu_ guards the fields marked so; the worker is joined by
// the destructor.
#pragma once

#include <openssl/evp.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cairn/logger.h"
#include "cairn/service.h"
#include "cairn/storage.h"

namespace cairn::server {

class SnapshotStream final : public StreamCall {
 public:
  SnapshotStream(storage::Backend& backend, std::string scratchDir, Logger& logger,
                 std::function<void()> onReady);
  ~SnapshotStream() override;

  void onMessage(const google::protobuf::Message& request) override;
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override;
  void close() override;

 private:
  void build();

  storage::Backend& backend_;
  const std::string scratchDir_;
  Logger& logger_;
  std::atomic<bool> cancelled_{false};
  std::thread worker_;

  std::mutex mu_;
  std::function<void()> onReady_;  // guarded by mu_
  bool started_ = false;           // guarded by mu_
  bool built_ = false;             // guarded by mu_
  Status buildStatus_;             // guarded by mu_
  int fd_ = -1;                    // guarded by mu_ (the worker owns it until built_)
  uint64_t total_ = 0;             // guarded by mu_
  uint64_t sent_ = 0;              // guarded by mu_
  bool shaSent_ = false;           // guarded by mu_
  EVP_MD_CTX* sha_;                // guarded by mu_; SHA-256 of what was sent
};

}  // namespace cairn::server
