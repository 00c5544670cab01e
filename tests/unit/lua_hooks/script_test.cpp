// Scripts against a fake KV: cairn.watch{} registration and its errors, the
// KV calls inside a handler, and the four shipped examples of scripts/lua.
#include "script.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fake_kv.h"
#include "metrics/metrics_registry.h"

using namespace cairn;
using namespace cairn::luahooks;

namespace {

class NullLogger final : public Logger {
 public:
  std::vector<std::string> lines;
  void log(LogLevel, std::string_view caller, std::string_view msg, std::string_view) override {
    lines.push_back(std::string(caller) + " " + std::string(msg));
  }
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/cairn-lua-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Fixture {
  TempDir dir;
  NullLogger logger;
  metrics::MetricsRegistry metrics;
  test::FakeKv kv;

  std::unique_ptr<Script> load(const std::string& name, const std::string& text,
                               CallResult* error) {
    ScriptEnv env{&logger, &metrics, SandboxLimits{8 << 20, 1'000'000}};
    return Script::load(dir.write(name, text), env, error);
  }
  std::unique_ptr<Script> loadExample(const std::string& name) {
    ScriptEnv env{&logger, &metrics, SandboxLimits{8 << 20, 1'000'000}};
    CallResult error;
    auto script = Script::load(std::string(CAIRN_LUA_EXAMPLES_DIR) + "/" + name, env, &error);
    INFO(error.message);
    REQUIRE(script != nullptr);
    return script;
  }

  // Writes `key` in the fake store and returns the event a watcher gets.
  mvccpb::Event put(const std::string& key, const std::string& value) {
    mvccpb::Event ev;
    ev.set_type(mvccpb::Event::PUT);
    if (auto it = kv.keys.find(key); it != kv.keys.end()) *ev.mutable_prev_kv() = it->second;
    etcdserverpb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    etcdserverpb::PutResponse resp;
    REQUIRE(kv.put(req, &resp));
    *ev.mutable_kv() = kv.keys[key];
    return ev;
  }
  mvccpb::Event del(const std::string& key) {
    mvccpb::Event ev;
    ev.set_type(mvccpb::Event::DELETE);
    *ev.mutable_prev_kv() = kv.keys.at(key);
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(key);
    etcdserverpb::DeleteRangeResponse resp;
    REQUIRE(kv.deleteRange(req, &resp));
    ev.mutable_kv()->set_key(key);
    ev.mutable_kv()->set_mod_revision(kv.revision);
    return ev;
  }
  void handle(Script& script, const mvccpb::Event& ev, int64_t index = 0) {
    CallResult r = script.handle(0, ev, index, kv);
    INFO(r.message);
    REQUIRE(r.ok());
  }
};

}  // namespace

TEST_CASE("cairn.watch registers handlers with their ranges and options") {
  Fixture f;
  CallResult error;
  auto script = f.load("w.lua",
                       "cairn.watch{prefix='orders/', prev_kv=true, handler=function(ev) end}\n"
                       "cairn.watch{key='a', range_end='c', filters={'put'}, name='ac',\n"
                       "            handler=function(ev) end}\n"
                       "cairn.watch{prefix='', filters={'delete'}, handler=function(ev) end}\n",
                       &error);
  INFO(error.message);
  REQUIRE(script != nullptr);
  const auto& h = script->handlers();
  REQUIRE(h.size() == 3);
  CHECK(h[0].id == "w.lua#1");
  CHECK(h[0].key == "orders/");
  CHECK(h[0].rangeEnd == "orders0");
  CHECK(h[0].prevKv);
  CHECK(h[0].line == 1);
  CHECK(h[1].id == "w.lua#ac");
  CHECK(h[1].rangeEnd == "c");
  CHECK(h[1].noDelete);
  CHECK_FALSE(h[1].noPut);
  CHECK(h[1].line == 2);
  CHECK(h[2].key == std::string(1, '\0'));
  CHECK(h[2].rangeEnd == std::string(1, '\0'));
  CHECK(h[2].noPut);
}

TEST_CASE("a bad cairn.watch fails the load with file and line") {
  Fixture f;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cairn.watch{handler=function() end}", "exactly one of 'prefix', 'key'"},
      {"cairn.watch{prefix='a', key='b', handler=function() end}", "exactly one"},
      {"cairn.watch{prefix='a'}", "'handler' must be a function"},
      {"cairn.watch{prefix='a', filters={'both'}, handler=function() end}", "unknown filter"},
      {"cairn.watch{prefix='a', range_end='b', handler=function() end}", "'range_end' goes"},
      {"cairn.watch{prefix=1, handler=function() end}", "'prefix' must be a string"},
      {"cairn.watch{prefix='a', name='x', handler=function() end}; "
       "cairn.watch{prefix='b', name='x', handler=function() end}",
       "already registered"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    CallResult error;
    CHECK(f.load("bad.lua", "\n" + text, &error) == nullptr);
    INFO(error.message);
    CHECK(contains(error.message, "bad.lua:2:"));
    CHECK(contains(error.message, why));
  }
  CallResult error;
  CHECK(f.load("none.lua", "local x = 1", &error) == nullptr);
  CHECK(contains(error.message, "registers no handler"));
  CHECK(f.load("put.lua", "cairn.put('a', 'b')", &error) == nullptr);
  CHECK(contains(error.message, "put.lua:1: cairn.put: only inside a handler"));
}

TEST_CASE("a handler reads and writes through the KV gateway") {
  Fixture f;
  CallResult error;
  auto script = f.load("kv.lua", R"lua(
cairn.watch{ prefix = "in/", prev_kv = true, handler = function(ev)
  assert(ev.type == "PUT" and ev.key == "in/a" and ev.value == "1", ev.type)
  assert(ev.revision == ev.mod_revision and ev.index == 0 and ev.version == 1)
  local rev = cairn.put("out/" .. ev.key, ev.value .. "!")
  assert(rev == ev.revision + 1)
  local kv = cairn.get("out/in/a")
  assert(kv.value == "1!" and kv.mod_revision == rev and kv.version == 1)
  assert(cairn.get("missing") == nil)
  cairn.put("out/x", "2")
  local list, more = cairn.get("out/", { prefix = true, limit = 1 })
  assert(#list == 1 and more == true)
  local lease = cairn.lease_grant(30)
  cairn.put("out/leased", "v", { lease = lease })
  assert(cairn.get("out/leased").lease == lease)
  local r = cairn.txn{
    compare = { { key = "out/x", value = "2" }, { key = "out/x", target = "version", op = ">", value = 0 } },
    success = { { op = "get", key = "out/", prefix = true }, { op = "delete", key = "out/x" } },
    failure = { { op = "put", key = "wrong", value = "1" } },
  }
  assert(r.succeeded and #r.results[1] == 3 and r.results[2] == 1)
  assert(cairn.delete("out/", { prefix = true }) == 2)
  cairn.metric("seen"):inc(2)
end })lua",
                       &error);
  auto* s = script.get();
  INFO(error.message);
  REQUIRE(s != nullptr);
  f.handle(*s, f.put("in/a", "1"));
  CHECK(f.kv.keys.count("wrong") == 0);
  CHECK(f.kv.keys.size() == 1);  // only in/a is left
  CHECK(contains(f.metrics.render(), "cairn_hook_seen{script=\"kv.lua\"} 2"));
}

TEST_CASE("a KV error is a Lua error at the handler's line") {
  Fixture f;
  CallResult error;
  auto script = f.load("e.lua",
                       "cairn.watch{prefix='a', handler=function(ev)\n"
                       "  cairn.put('x', 'y')\nend}",
                       &error);
  REQUIRE(script != nullptr);
  const mvccpb::Event ev = f.put("a1", "v");
  f.kv.failWith = Status(Error::NoLeader);
  const CallResult r = script->handle(0, ev, 0, f.kv);
  CHECK(r.kind == FailureKind::Runtime);
  CHECK(contains(r.message, "e.lua:2: cairn.put: etcdserver: no leader"));
}

TEST_CASE("audit.lua records every change once, replays included") {
  Fixture f;
  auto script = f.loadExample("audit.lua");
  const mvccpb::Event a = f.put("orders/1", "new");
  f.handle(*script, a);
  const mvccpb::Event b = f.put("orders/1", "paid");
  f.handle(*script, b);
  const mvccpb::Event c = f.del("orders/1");
  f.handle(*script, c);
  f.handle(*script, b);  // handled again, as after a crash
  char key[64];
  std::snprintf(key, sizeof key, "audit/%020lld/0000",
                static_cast<long long>(a.kv().mod_revision()));
  CHECK(f.kv.value(key) == "PUT orders/1 = new");
  std::snprintf(key, sizeof key, "audit/%020lld/0000",
                static_cast<long long>(b.kv().mod_revision()));
  CHECK(f.kv.value(key) == "PUT orders/1 = paid");
  std::snprintf(key, sizeof key, "audit/%020lld/0000",
                static_cast<long long>(c.kv().mod_revision()));
  CHECK(f.kv.value(key) == "DELETE orders/1 (was paid)");
  int records = 0;
  for (const auto& [k, v] : f.kv.keys) records += k.rfind("audit/", 0) == 0;
  CHECK(records == 3);
}

TEST_CASE("counters.lua counts each event exactly once, replays included") {
  Fixture f;
  auto script = f.loadExample("counters.lua");
  std::vector<mvccpb::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(f.put("events/a/" + std::to_string(i), "x"));
  events.push_back(f.put("events/b/1", "x"));
  events.push_back(f.put("events/nogroup", "x"));
  for (const auto& ev : events) f.handle(*script, ev);
  // A restart replays the last three events.
  for (size_t i = events.size() - 3; i < events.size(); ++i) f.handle(*script, events[i]);
  CHECK(f.kv.value("counters/a") == "5");
  CHECK(f.kv.value("counters/b") == "1");
  CHECK(f.kv.keys.count("counters/nogroup") == 0);
  // Two events of one revision are two counts (told apart by index).
  mvccpb::Event twin = f.put("events/a/twin", "x");
  f.handle(*script, twin, 0);
  f.handle(*script, twin, 1);
  f.handle(*script, twin, 1);
  CHECK(f.kv.value("counters/a") == "7");
}

TEST_CASE("secondary_index.lua keeps index/email/ in step") {
  Fixture f;
  auto script = f.loadExample("secondary_index.lua");
  const mvccpb::Event a = f.put("users/1", "ann@example.com");
  f.handle(*script, a);
  CHECK(f.kv.value("index/email/ann@example.com") == "1");
  const mvccpb::Event b = f.put("users/1", "ann@work.example");
  f.handle(*script, b);
  CHECK(f.kv.keys.count("index/email/ann@example.com") == 0);
  CHECK(f.kv.value("index/email/ann@work.example") == "1");
  f.handle(*script, a);  // a replayed old event brings nothing back
  CHECK(f.kv.keys.count("index/email/ann@example.com") == 0);
  f.handle(*script, f.put("users/2", "bob@example.com"));
  f.handle(*script, f.del("users/1"));
  CHECK(f.kv.keys.count("index/email/ann@work.example") == 0);
  CHECK(f.kv.value("index/email/bob@example.com") == "2");
}

TEST_CASE("janitor.lua deletes entries older than 10 revisions") {
  Fixture f;
  auto script = f.loadExample("janitor.lua");
  f.handle(*script, f.put("cache/old", "x"));
  f.handle(*script, f.put("cache/kept", "x"));
  for (int i = 0; i < 9; ++i) f.handle(*script, f.put("cache/new" + std::to_string(i), "x"));
  CHECK(f.kv.keys.count("cache/old") == 1);     // 10 revisions old: not yet stale
  f.handle(*script, f.put("cache/kept", "y"));  // rewritten: young again
  CHECK(f.kv.keys.count("cache/old") == 0);
  CHECK(f.kv.keys.count("cache/kept") == 1);
  CHECK(f.kv.keys.count("cache/new0") == 1);
}
