// The member's --snapshot-count snapshots are taken off the apply loop:
// writes go on being applied and acknowledged while the snapshot's backend
// sync is in progress, and the snapshot still lands and serves a restart.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "member_fixture.h"
#include "server/json_logger.h"
#include "server/server.h"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::server;
using namespace cairn::server::testing;

namespace {

// WiredTiger whose sync() waits while the gate is closed, and says when a
// sync is waiting. Everything else is passed through.
class GatedSyncBackend final : public storage::Backend {
 public:
  std::string_view name() const override { return inner_.name(); }
  bool persistent() const override { return inner_.persistent(); }
  Status open(const storage::Options& options) override { return inner_.open(options); }
  void close() override { inner_.close(); }
  Status commit(const storage::WriteBatch& batch) override { return inner_.commit(batch); }
  Status sync() override {
    {
      std::unique_lock lk(mu_);
      ++waiting_;
      changed_.notify_all();
      changed_.wait(lk, [this] { return open_; });
      --waiting_;
    }
    return inner_.sync();
  }
  std::unique_ptr<storage::ReadTxn> beginRead() override { return inner_.beginRead(); }
  uint64_t sizeAllocated() override { return inner_.sizeAllocated(); }
  uint64_t sizeInUse() override { return inner_.sizeInUse(); }
  Status defragment() override { return inner_.defragment(); }
  Status exportState(const std::function<Status(std::string_view)>& sink) override {
    return inner_.exportState(sink);
  }
  Status importState(const std::function<bool(std::string&)>& source) override {
    return inner_.importState(source);
  }

  void setOpen(bool open) {
    std::lock_guard lk(mu_);
    open_ = open;
    changed_.notify_all();
  }
  bool waitForWaitingSync(std::chrono::milliseconds limit) {
    std::unique_lock lk(mu_);
    return changed_.wait_for(lk, limit, [this] { return waiting_ > 0; });
  }

 private:
  storage::WiredTigerBackend inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool open_ = true;  // guarded by mu_
  int waiting_ = 0;   // guarded by mu_
};

Status putKey(KvService& kv, const std::string& key, std::chrono::seconds limit) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(std::string(100, 'v'));
  auto done = std::make_shared<std::promise<Status>>();
  auto f = done->get_future();
  kv.put(RequestContext(), req,
         [done](Status st, etcdserverpb::PutResponse&&) { done->set_value(std::move(st)); });
  if (f.wait_for(limit) != std::future_status::ready) {
    return Status(StatusCode::DeadlineExceeded, "put " + key + " not answered");
  }
  return f.get();
}

int countSnapFiles(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir / "member" / "snap")) {
    if (e.path().extension() == ".snap") ++n;
  }
  return n;
}

// A member on a gated WiredTiger at --snapshot-count 20, written past the
// count with the gate closed: its snapshot's sync is waiting.
struct SyncHeldMember {
  // Opens the gate however the test ends, while the server (which owns the
  // backend) is still there: its stop() syncs too.
  struct GateOpener {
    GatedSyncBackend* backend = nullptr;
    const std::unique_ptr<Server>* server = nullptr;
    ~GateOpener() {
      if (backend != nullptr && *server != nullptr) backend->setOpen(true);
    }
  };

  TempDir dir;
  JsonLogger logger{LogLevel::Warn, {"stderr"}};
  EmptyRegistry plugins{logger};
  ServerOptions opts = fastMemberOptions(dir.path);
  GatedSyncBackend* backend = nullptr;
  std::unique_ptr<Server> server;
  GateOpener opener;
  int written = 0;

  SyncHeldMember() {
    opts.snapshotCount = 20;
    auto owned = std::make_unique<GatedSyncBackend>();
    backend = owned.get();
    server = std::make_unique<Server>(opts, std::move(owned), logger, plugins.registry);
    REQUIRE(server->start().isOk());
    opener.server = &server;
    opener.backend = backend;
    backend->setOpen(false);
    for (; written < 30; ++written) {
      REQUIRE(putKey(server->kv(), "k" + std::to_string(written), std::chrono::seconds(10)).isOk());
    }
    REQUIRE(backend->waitForWaitingSync(std::chrono::seconds(10)));
  }
};

}  // namespace

TEST_CASE("writes are applied and answered while a snapshot's backend sync waits") {
  SyncHeldMember m;
  CHECK(countSnapFiles(m.dir.path) == 0);
  // The apply loop is not the one waiting: these are applied and answered.
  for (; m.written < 60; ++m.written) {
    Status st = putKey(m.server->kv(), "k" + std::to_string(m.written), std::chrono::seconds(5));
    INFO(st.message());
    REQUIRE(st.isOk());
  }
  // The snapshot lands once its sync gets through.
  m.backend->setOpen(true);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (countSnapFiles(m.dir.path) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(countSnapFiles(m.dir.path) >= 1);
  m.server.reset();
  // A restart from the snapshot and the WAL after it has every write.
  Server server(m.opts, makeBackend("wiredtiger"), m.logger, m.plugins.registry);
  REQUIRE(server.start().isOk());
  etcdserverpb::RangeRequest req;
  req.set_key("k");
  req.set_range_end("l");
  req.set_count_only(true);
  auto [st, resp] = call<etcdserverpb::RangeResponse>(
      [&](auto done) { server.kv().range(RequestContext(), req, std::move(done)); });
  REQUIRE(st.isOk());
  CHECK(resp.count() == 60);
  CHECK(resp.header().revision() == 61);
}

TEST_CASE("stopping while a snapshot's backend sync waits finishes that snapshot") {
  SyncHeldMember m;
  auto stopped = std::async(std::launch::async, [&] { m.server->stop(); });
  // stop() waits for the snapshot rather than closing the WAL or the
  // backend under it.
  CHECK(stopped.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
  m.backend->setOpen(true);
  REQUIRE(stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(countSnapFiles(m.dir.path) == 1);
}
