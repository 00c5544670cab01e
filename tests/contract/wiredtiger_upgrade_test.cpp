// The rewrite of a layout 1 data dir into layout 2 at open
// (wiredtiger_backend_upgrade.cpp): the state is unchanged byte for byte,
// a rewrite that cannot finish leaves the old dir working, and kill -9 at any
// moment of it leaves one whole state or the other.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include "backend_fixtures.h"
#include "wiredtiger_key.h"
#include "wiredtiger_raw_db.h"
#include "wiredtiger_tables.h"

using namespace cairn;
using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

// (bucket, key, value) of a state spread over buckets named below, between
// and above the revisions' "key": NUL bytes in names and keys, a prefix of
// "key" and a name "key" is a prefix of.
struct Record {
  std::string bucket, key, value;
};
std::vector<Record> state(int revisions) {
  std::vector<Record> out;
  out.push_back({"alarm", "a", "1"});
  out.push_back({std::string("a\0b", 3), std::string("k\0", 2), "nul"});
  out.push_back({"ke", "short", "2"});
  for (int i = 0; i < revisions; ++i) {
    char key[24];
    std::snprintf(key, sizeof key, "rev%09d", i);
    out.push_back(
        {std::string(kKeyBucket), key, std::string(20 + i % 200, static_cast<char>('a' + i % 26))});
  }
  // Sorts between the revisions ("key" 0x00 0x01 ...) and "key2": escaped,
  // its name is "key" 0x00 0xff "x".
  out.push_back({std::string("key\0x", 5), "k", "between"});
  out.push_back({"key2", "longer", "3"});
  out.push_back({std::string(kLeaseBucket), "l1", "4"});
  out.push_back({std::string(kLeaseBucket), "l2", ""});
  out.push_back({std::string(kMetaBucket), std::string("\0ci", 3), "5"});
  return out;
}

// The rows a Cairn from before layout versions wrote for `records`.
Rows legacyRows(const std::vector<Record>& records) {
  const wt_key::RowLayout legacy(wt_key::RowLayout::kBucketOrder);
  Rows rows;
  for (const Record& r : records) rows.emplace_back(legacy.prefix(r.bucket) + r.key, r.value);
  return rows;
}

void writeLegacyDir(const std::filesystem::path& wt, const std::vector<Record>& records) {
  RawDb raw(wt);
  raw.put(kMetaTable, kActiveKey, kDataTables[0]);
  raw.putAll(kDataTables[0], legacyRows(records));
}

// The canonical export of `records`, from the memory backend.
std::string expectedExport(const std::vector<Record>& records) {
  Opened<MemoryFixture> mem;
  WriteBatch w;
  for (const Record& r : records) w.put(r.bucket, r.key, r.value);
  commitOk(*mem.backend, w);
  return exportAll(*mem.backend);
}

// A layout 1 dir at `wt` holding state(revisions); returns its expected
// export, for the tests that need no single record.
std::string writeLegacyState(const std::filesystem::path& wt, int revisions) {
  const std::vector<Record> records = state(revisions);
  writeLegacyDir(wt, records);
  return expectedExport(records);
}

// A layout 1 dir holding state(100) and a row no layout writes (no bucket
// separator), after the revisions: a rewrite cannot split it.
struct StrayRowDir {
  TempDir dir;
  const std::filesystem::path wt = dir.path() / "wt";
  const std::vector<Record> records = state(100);
  StrayRowDir() {
    writeLegacyDir(wt, records);
    RawDb raw(wt);
    raw.put(kDataTables[0], "zz-not-a-row", "x");
  }
};

Options at(const std::filesystem::path& wt, bool upgrade = true) {
  Options o;
  o.path = wt.string();
  o.settings = {{"upgrade_layout", upgrade ? "true" : "false"}};
  return o;
}

Options at(const std::filesystem::path& wt, const std::string& upgrade) {
  Options o = at(wt);
  o.settings = {{"upgrade_layout", upgrade}};
  return o;
}

// The lines a backend logged.
class CapturingLogger : public Logger {
 public:
  void log(LogLevel level, std::string_view, std::string_view msg,
           std::string_view fields) override {
    lines.push_back({level, std::string(msg), std::string(fields)});
  }
  struct Line {
    LogLevel level;
    std::string msg, fields;
  };
  std::vector<Line> lines;
};

// Opens `b` at `wt` with a logger; the open must succeed, and the line the
// rewrite logged last is returned.
CapturingLogger::Line openLogged(WiredTigerBackend& b, const std::filesystem::path& wt) {
  CapturingLogger logger;
  Options o = at(wt);
  o.logger = &logger;
  Status st = b.open(o);
  INFO(st.message());
  REQUIRE(st.isOk());
  REQUIRE(logger.lines.size() == 2);  // the start, then the outcome
  return logger.lines.back();
}

// Opens `wt` with the rewrite allowed: it ends in layout 2 holding `expected`.
void checkRewritten(const std::filesystem::path& wt, const std::string& expected) {
  WiredTigerBackend b;
  REQUIRE(b.open(at(wt)).isOk());
  CHECK(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
  CHECK(exportAll(b) == expected);
  b.close();
}

bool tableFileExists(const std::filesystem::path& wt, std::string_view uri) {
  uri.remove_prefix(uri.find(':') + 1);
  return std::filesystem::exists(wt / (std::string(uri) + ".wt"));
}

}  // namespace

TEST_CASE("wiredtiger upgrade: a layout 1 data dir is rewritten into layout 2 at open",
          "[wiredtiger][upgrade]") {
  TempDir dir;
  const std::filesystem::path wt = dir.path() / "wt";
  const std::vector<Record> records = state(3000);
  writeLegacyDir(wt, records);
  const std::string expected = expectedExport(records);
  {
    WiredTigerBackend b;
    const CapturingLogger::Line logged = openLogged(b, wt);
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
    CHECK(logged.level == LogLevel::Info);
    CHECK(logged.msg == "data dir rewritten into the newest row layout");
    CHECK_THAT(logged.fields, Catch::Contains(R"("rows":3008)"));
    CHECK(exportAll(b) == expected);
    CHECK(getOne(b, kKeyBucket, "rev000001234") == records[3 + 1234].value);
    CHECK(getOne(b, "ke", "short") == "2");
    CHECK(scan(b, kLeaseBucket) == Pairs{{"l1", "4"}, {"l2", ""}});
    CHECK(scan(b, kKeyBucket, "rev000002998").size() == 2);
    WriteBatch w;
    w.put(kKeyBucket, "rev000003000", "new");
    w.del(kLeaseBucket, "l1");
    commitOk(b, w);
    b.close();
  }
  {
    RawDb raw(wt);
    CHECK(raw.get(kMetaTable, kLayoutKey) == "2");
    CHECK(raw.get(kMetaTable, kActiveKey) == kDataTables[1]);
    // Revisions last: the seven rows of other buckets, then 3,001 revisions.
    const std::vector<std::string> rows = raw.keys(kDataTables[1]);
    REQUIRE(rows.size() == 7 + 3001);
    for (std::size_t i = 0; i < 7; ++i) CHECK(rows[i][0] == '\x01');
    CHECK(rows[7] == "\x02rev000000000");
    CHECK(rows.back() == "\x02rev000003000");
  }
  CHECK_FALSE(tableFileExists(wt, kDataTables[0]));
  // Opened again: nothing more to do, the write is there.
  WiredTigerBackend b;
  REQUIRE(b.open(at(wt)).isOk());
  CHECK(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
  CHECK(getOne(b, kKeyBucket, "rev000003000") == "new");
  CHECK_FALSE(getOne(b, kLeaseBucket, "l1").has_value());
}

// After the first refused rewrite of `stray`: later opens skip the copy
// until upgrade_layout=force, and a forced rewrite that gets through drops
// the record.
void checkRefusalRemembered(const StrayRowDir& stray) {
  const std::filesystem::path& wt = stray.wt;
  const std::vector<Record>& records = stray.records;
  {
    // The next open does not start a copy: one line, naming the earlier
    // finding and the setting that retries.
    WiredTigerBackend b;
    CapturingLogger logger;
    Options o = at(wt);
    o.logger = &logger;
    REQUIRE(b.open(o).isOk());
    REQUIRE(logger.lines.size() == 1);
    CHECK(logger.lines[0].level == LogLevel::Warn);
    CHECK(logger.lines[0].msg == "data dir not rewritten into the newest row layout");
    CHECK_THAT(logger.lines[0].fields, Catch::Contains("an earlier rewrite found"));
    CHECK_THAT(logger.lines[0].fields, Catch::Contains("is not in row layout 1"));
    CHECK_THAT(logger.lines[0].fields, Catch::Contains("upgrade_layout=force"));
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kBucketOrder);
    CHECK(getOne(b, kKeyBucket, "rev000000042") == records[3 + 42].value);
    b.close();
  }
  {
    // Forced while the row is still there: refused again, still recorded.
    WiredTigerBackend b;
    CapturingLogger logger;
    Options o = at(wt, std::string("force"));
    o.logger = &logger;
    REQUIRE(b.open(o).isOk());
    REQUIRE(logger.lines.size() == 2);
    CHECK_THAT(logger.lines[1].fields, Catch::Contains("is not in row layout 1"));
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kBucketOrder);
    b.close();
  }
  {
    RawDb raw(wt);
    REQUIRE(raw.get(kMetaTable, kRewriteRefusedKey).has_value());
    raw.del(kDataTables[0], "zz-not-a-row");
  }
  std::string before;
  {
    // The row is gone, but the record stays until a forced open rewrites.
    WiredTigerBackend b;
    REQUIRE(b.open(at(wt)).isOk());
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kBucketOrder);
    before = exportAll(b);
    b.close();
  }
  {
    WiredTigerBackend b;
    REQUIRE(b.open(at(wt, std::string("force"))).isOk());
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
    CHECK(exportAll(b) == before);
    CHECK(getOne(b, kKeyBucket, "rev000000042") == records[3 + 42].value);
    b.close();
  }
  RawDb raw(wt);
  CHECK(raw.get(kMetaTable, kLayoutKey) == "2");
  CHECK_FALSE(raw.get(kMetaTable, kRewriteRefusedKey).has_value());
}

TEST_CASE(
    "wiredtiger upgrade: a rewrite that cannot finish leaves the layout 1 dir working, and is "
    "not tried again until upgrade_layout=force",
    "[wiredtiger][upgrade]") {
  const StrayRowDir stray;
  const std::filesystem::path& wt = stray.wt;
  const std::vector<Record>& records = stray.records;
  {
    WiredTigerBackend b;
    const CapturingLogger::Line logged = openLogged(b, wt);
    CHECK(b.rowLayout().version() == wt_key::RowLayout::kBucketOrder);
    CHECK(logged.level == LogLevel::Warn);
    CHECK(logged.msg == "data dir not rewritten into the newest row layout");
    CHECK_THAT(logged.fields, Catch::Contains("is not in row layout 1"));
    CHECK(getOne(b, kKeyBucket, "rev000000042") == records[3 + 42].value);
    CHECK(scan(b, "key2") == Pairs{{"longer", "3"}});
    WriteBatch w;
    w.put(kKeyBucket, "rev000000100", "new");
    commitOk(b, w);
    b.close();
  }
  CHECK_FALSE(tableFileExists(wt, kDataTables[1]));
  {
    RawDb raw(wt);
    CHECK_FALSE(raw.get(kMetaTable, kLayoutKey).has_value());
    CHECK(raw.get(kMetaTable, kActiveKey) == kDataTables[0]);
    CHECK(raw.get(kDataTables[0], wt_key::RowLayout(1).prefix(kKeyBucket) + "rev000000100") ==
          "new");
    const std::optional<std::string> refused = raw.get(kMetaTable, kRewriteRefusedKey);
    REQUIRE(refused.has_value());
    CHECK_THAT(*refused, Catch::Contains("is not in row layout 1"));
  }
  checkRefusalRemembered(stray);
}

TEST_CASE("wiredtiger upgrade: upgrade_layout takes true, false or force",
          "[wiredtiger][upgrade]") {
  TempDir dir;
  WiredTigerBackend b;
  Status st = b.open(at(dir.path() / "wt", std::string("yes")));
  CHECK(st.code() == StatusCode::InvalidArgument);
  CHECK(st.message() == "wiredtiger: invalid value 'yes' for storage option 'upgrade_layout'");
}

TEST_CASE("wiredtiger upgrade: rows an interrupted rewrite left in the other table are dropped",
          "[wiredtiger][upgrade]") {
  TempDir dir;
  const std::filesystem::path wt = dir.path() / "wt";
  const std::vector<Record> records = state(500);
  writeLegacyDir(wt, records);
  {
    RawDb raw(wt);
    raw.put(kDataTables[1], "\x02stale", "from an earlier attempt");
    raw.put(kDataTables[1], std::string("\x01key\0\x01zzz", 9), "stale");
  }
  WiredTigerBackend b;
  REQUIRE(b.open(at(wt)).isOk());
  CHECK(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
  CHECK(exportAll(b) == expectedExport(records));
}

TEST_CASE("wiredtiger upgrade: kill -9 during the rewrite leaves one whole state",
          "[wiredtiger][upgrade][crash]") {
  TempDir base;
  const std::filesystem::path templateDir = base.path() / "template";
  const std::string expected = writeLegacyState(templateDir, 150000);
  // How long an undisturbed rewrite takes here, to spread the kills over it.
  std::chrono::milliseconds full{};
  {
    const std::filesystem::path wt = base.path() / "timed";
    std::filesystem::copy(templateDir, wt, std::filesystem::copy_options::recursive);
    const auto t0 = std::chrono::steady_clock::now();
    WiredTigerBackend b;
    REQUIRE(b.open(at(wt)).isOk());
    full = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
    REQUIRE(b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast);
  }
  std::mt19937 rng(std::random_device{}());
  int upgraded = 0, legacy = 0;
  for (int round = 0; round < 8; ++round) {
    const std::filesystem::path wt = base.path() / ("round" + std::to_string(round));
    std::filesystem::copy(templateDir, wt, std::filesystem::copy_options::recursive);
    // Spread over the rewrite and a little past it, from the moment the
    // child is about to open.
    const auto delay = std::chrono::milliseconds(rng() % (full.count() * 3 / 2 + 1));
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      char ready = 1;
      if (write(fds[1], &ready, 1) != 1) _exit(3);
      WiredTigerBackend b;
      if (!b.open(at(wt)).isOk()) _exit(2);
      pause();
      _exit(0);
    }
    close(fds[1]);
    char ready = 0;
    REQUIRE(read(fds[0], &ready, 1) == 1);
    close(fds[0]);
    std::this_thread::sleep_for(delay);
    REQUIRE(kill(pid, SIGKILL) == 0);
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    INFO("round " << round << ", killed after " << delay.count() << " ms of " << full.count());
    REQUIRE(WIFSIGNALED(wstatus));
    {
      // As the kill left it, without rewriting: one whole state.
      WiredTigerBackend b;
      Status st = b.open(at(wt, false));
      INFO(st.message());
      REQUIRE(st.isOk());
      (b.rowLayout().version() == wt_key::RowLayout::kKeyBucketLast ? upgraded : legacy)++;
      CHECK(exportAll(b) == expected);
    }
    checkRewritten(wt, expected);
    std::filesystem::remove_all(wt);
  }
  WARN("kills that left layout 1: " << legacy << ", layout 2: " << upgraded);
}

TEST_CASE("wiredtiger upgrade: an exit at each step of the rewrite leaves the state it names",
          "[wiredtiger][upgrade][crash]") {
  TempDir base;
  const std::filesystem::path templateDir = base.path() / "template";
  const std::string expected = writeLegacyState(templateDir, 2000);
  // Until the switch is in a checkpoint the old table is the durable state.
  const std::vector<std::pair<const char*, int>> steps = {
      {"copied", 1}, {"copy-checkpointed", 1}, {"switched", 1}, {"durable", 2}, {"dropped", 2}};
  for (const auto& [step, layout] : steps) {
    INFO("exit at " << step);
    const std::filesystem::path wt = base.path() / step;
    std::filesystem::copy(templateDir, wt, std::filesystem::copy_options::recursive);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      setenv("CAIRN_WT_REWRITE_EXIT_AT", step, 1);
      WiredTigerBackend b;
      b.open(at(wt));
      _exit(0);  // the step was never reached
    }
    int wstatus = 0;
    REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    REQUIRE(WIFEXITED(wstatus));
    REQUIRE(WEXITSTATUS(wstatus) == 86);
    {
      WiredTigerBackend b;
      Status st = b.open(at(wt, false));
      INFO(st.message());
      REQUIRE(st.isOk());
      CHECK(b.rowLayout().version() == layout);
      CHECK(exportAll(b) == expected);
    }
    checkRewritten(wt, expected);
    CHECK_FALSE(tableFileExists(wt, kDataTables[0]));
  }
}
