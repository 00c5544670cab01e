// What a member started on an etcd data dir replays from etcd's WAL: the
// committed entries after the db's consistent_index, v3 requests unchanged,
// membership changes and v2 store requests as empty entries at their index.
#include "etcd_wal_replay.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "etcdserverpb/etcdserver.pb.h"
#include "etcdserverpb/raft_internal.pb.h"
#include "wal/etcd_wal_test_writer.h"

using namespace cairn;
using namespace cairn::server;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("etcd-wal-replay-" + std::to_string(::getpid()));
  ~TempDir() { fs::remove_all(path); }
};

std::string putRequest(uint64_t id, const std::string& key) {
  etcdserverpb::InternalRaftRequest r;
  r.mutable_header()->set_id(id);
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value("v");
  return r.SerializeAsString();
}

}  // namespace

TEST_CASE("etcd wal replay: committed entries after the index, as Cairn entries") {
  TempDir t;
  testing::EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(1, 2);
  // Bootstrap conf changes, then the v2 publish of the member's attributes
  // (a bare etcdserverpb.Request), then v3 requests, a wrapped v2 request
  // and the leader's empty entry of a new term.
  w.entry(1, 1, "conf-change-bytes", 1);
  etcdserverpb::Request publish;
  publish.set_id(7);
  publish.set_method("PUT");
  publish.set_path("/0/members/1/attributes");
  publish.set_val("{\"name\":\"n1\",\"clientURLs\":[\"http://127.0.0.1:2379\"]}");
  w.entry(2, 2, publish.SerializeAsString());
  w.entry(2, 3, putRequest(10, "a"));
  w.entry(2, 4, putRequest(11, "b"));
  etcdserverpb::InternalRaftRequest wrapped;
  wrapped.mutable_header()->set_id(12);
  *wrapped.mutable_v2() = publish;
  w.entry(2, 5, wrapped.SerializeAsString());
  w.entry(3, 6, "");
  w.entry(3, 7, putRequest(13, "c"));
  w.entry(3, 8, putRequest(14, "uncommitted"));
  w.state(3, 7);
  w.flush();

  EtcdReplay r;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 0, 1, &r));
  CHECK(r.commit == 7);
  REQUIRE(r.entries.size() == 7);
  for (std::size_t i = 0; i < r.entries.size(); ++i) {
    CHECK(r.entries[i].index() == i + 1);
    CHECK(r.entries[i].term() == 1);
    CHECK(r.entries[i].type() == raftpb::ENTRY_NORMAL);
  }
  CHECK(r.entries[0].data().empty());  // conf change
  CHECK(r.entries[1].data().empty());  // v2 publish
  CHECK(r.entries[2].data() == putRequest(10, "a"));
  CHECK(r.entries[3].data() == putRequest(11, "b"));
  CHECK(r.entries[4].data().empty());  // wrapped v2
  CHECK(r.entries[5].data().empty());  // leader no-op
  CHECK(r.entries[6].data() == putRequest(13, "c"));
  CHECK(r.requests == 3);
  CHECK(r.confChanges == 1);
  CHECK(r.v2Requests == 2);

  // After the db's index only; nothing when the db holds everything.
  EtcdReplay after;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 3, 1, &after));
  REQUIRE(after.entries.size() == 4);
  CHECK(after.entries.front().index() == 4);
  EtcdReplay none;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 7, 1, &none));
  CHECK(none.entries.empty());
  CHECK(none.commit == 7);
}

TEST_CASE("etcd wal replay: committed entries the WAL lacks are DataLoss") {
  TempDir t;
  testing::EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(1, 2);
  // The segments before index 5 were purged; the db says 2.
  w.entry(2, 5, putRequest(1, "a"));
  w.state(2, 5);
  w.flush();
  EtcdReplay r;
  CHECK(etcdEntriesToReplay(t.path.string(), 2, 1, &r).code() == StatusCode::DataLoss);
  CHECK(etcdEntriesToReplay(t.path.string(), 4, 1, &r));
}
