// kill -9 of a process committing to WiredTiger: after reopen the state must
// be exactly a prefix of the committed batches and hold every synced one.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "backend_fixtures.h"

using namespace cairn;
using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

// Batch n: counter = n, adds k<n> (zero padded), and replaces the single
// "d" key by d<n>; a delRange plus puts, so a torn batch is visible.
WriteBatch batchFor(int64_t n) {
  char key[32];
  std::snprintf(key, sizeof key, "%08lld", static_cast<long long>(n));
  WriteBatch w;
  w.put("meta", "counter", std::to_string(n));
  w.delRange("key", "d", "e");
  w.put("key", std::string("k") + key, std::string(100 + n % 300, 'x'));
  w.put("key", std::string("d") + key, std::to_string(n));
  w.put("other", "mirror", std::to_string(n));
  return w;
}

[[noreturn]] void runChild(const std::string& path, int fd, unsigned seed) {
  WiredTigerBackend b;
  Options o;
  o.path = path;
  // Frequent background checkpoints so kills land during them as well.
  o.settings = {{"checkpoint_interval_ms", std::to_string(5 + seed % 40)},
                {"checkpoint_ops", std::to_string(7 + seed % 50)}};
  if (!b.open(o).isOk()) _exit(2);
  for (int64_t n = 1;; ++n) {
    if (!b.commit(batchFor(n)).isOk()) _exit(3);
    if (n % 25 == 0) {
      if (!b.sync().isOk()) _exit(4);
      if (write(fd, &n, sizeof n) != sizeof n) _exit(5);
    }
  }
}

}  // namespace

TEST_CASE("wiredtiger: kill -9 leaves a prefix of batches including all synced",
          "[wiredtiger][crash]") {
  std::mt19937 rng(std::random_device{}());
  constexpr int kRounds = 12;
  int64_t maxSeen = 0;
  for (int round = 0; round < kRounds; ++round) {
    TempDir dir;
    const std::string path = (dir.path() / "wt").string();
    // Later rounds restart on the previous round's survivor state too.
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    unsigned seed = rng();
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      runChild(path, fds[1], seed);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 700));
    REQUIRE(kill(pid, SIGKILL) == 0);
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    INFO("child exit status " << wstatus);
    REQUIRE(WIFSIGNALED(wstatus));  // it must not have stopped on its own
    int64_t lastSynced = 0, n = 0;
    while (read(fds[0], &n, sizeof n) == sizeof n) lastSynced = n;
    close(fds[0]);

    WiredTigerBackend b;
    Options o;
    o.path = path;
    Status st = b.open(o);
    INFO("round " << round << ": " << st.message());
    REQUIRE(st.isOk());
    auto txn = b.beginRead();
    auto counterText = txn->get("meta", "counter");
    int64_t counter = counterText ? std::stoll(*counterText) : 0;
    INFO("round " << round << " counter " << counter << " last synced " << lastSynced);
    CHECK(counter >= lastSynced);
    // Exactly batches 1..counter: k keys, the single d key, the mirror.
    Pairs ks = scan(*txn, "key", "k", "l");
    REQUIRE(ks.size() == static_cast<std::size_t>(counter));
    for (int64_t i = 0; i < counter; ++i) {
      char key[32];
      std::snprintf(key, sizeof key, "k%08lld", static_cast<long long>(i + 1));
      REQUIRE(ks[i].first == key);
      REQUIRE(ks[i].second.size() == static_cast<std::size_t>(100 + (i + 1) % 300));
    }
    Pairs ds = scan(*txn, "key", "d", "e");
    if (counter == 0) {
      CHECK(ds.empty());
      CHECK_FALSE(txn->get("other", "mirror").has_value());
    } else {
      REQUIRE(ds.size() == 1);
      CHECK(ds[0].second == std::to_string(counter));
      CHECK(txn->get("other", "mirror") == std::to_string(counter));
    }
    txn.reset();
    // The survivor keeps working.
    REQUIRE(b.commit(batchFor(counter + 1)).isOk());
    CHECK(getOne(b, "meta", "counter") == std::to_string(counter + 1));
    b.close();
    maxSeen = std::max(maxSeen, lastSynced);
  }
  // The test proves something only if children got to sync at all.
  CHECK(maxSeen > 0);
}
