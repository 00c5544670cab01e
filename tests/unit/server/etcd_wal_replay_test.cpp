// What a member started on an etcd data dir takes from etcd's WAL: the
// entries after the db's consistent_index at their indexes and terms, v3
// requests unchanged, membership changes and v2 store requests as empty
// entries; the term at the db's index; etcd's hard state.
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
  w.snapshot(0, 0);
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
  w.state(3, 7, 1);
  w.flush();

  EtcdReplay r;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 0, &r));
  CHECK(r.hardState.term() == 3);
  CHECK(r.hardState.vote() == 1);
  CHECK(r.hardState.commit() == 7);
  // The uncommitted tail too: the next leader commits or replaces it.
  REQUIRE(r.entries.size() == 8);
  const uint64_t terms[] = {1, 2, 2, 2, 2, 3, 3, 3};
  for (std::size_t i = 0; i < r.entries.size(); ++i) {
    CHECK(r.entries[i].index() == i + 1);
    CHECK(r.entries[i].term() == terms[i]);
    CHECK(r.entries[i].type() == raftpb::ENTRY_NORMAL);
  }
  CHECK(r.entries[0].data().empty());  // conf change
  CHECK(r.entries[1].data().empty());  // v2 publish
  CHECK(r.entries[2].data() == putRequest(10, "a"));
  CHECK(r.entries[3].data() == putRequest(11, "b"));
  CHECK(r.entries[4].data().empty());  // wrapped v2
  CHECK(r.entries[5].data().empty());  // leader no-op
  CHECK(r.entries[6].data() == putRequest(13, "c"));
  CHECK(r.entries[7].data() == putRequest(14, "uncommitted"));
  CHECK(r.requests == 4);
  CHECK(r.confChanges == 1);
  CHECK(r.v2Requests == 2);

  // After the db's index only, the snapshot taking the term there.
  EtcdReplay after;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 3, &after));
  REQUIRE(after.entries.size() == 5);
  CHECK(after.entries.front().index() == 4);
  CHECK(after.snapshotTerm == 2);
  EtcdReplay tail;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 7, &tail));
  REQUIRE(tail.entries.size() == 1);
  CHECK(tail.snapshotTerm == 3);
  CHECK(tail.hardState.commit() == 7);
  // etcd applies before the Ready that commits is in its WAL: the db may be
  // past the recorded commit, which then moves up to it.
  EtcdReplay none;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 8, &none));
  CHECK(none.entries.empty());
  CHECK(none.hardState.commit() == 8);
  CHECK(none.snapshotTerm == 3);
}

TEST_CASE("etcd wal replay: entries the WAL lacks, or an unknown term, are DataLoss") {
  TempDir t;
  testing::EtcdWalWriter w(t.path);
  w.cut();
  w.metadata(1, 2);
  // The segments before etcd's snapshot at 4 were purged; the db says 2.
  w.snapshot(4, 2);
  w.entry(2, 5, putRequest(1, "a"));
  w.entry(2, 6, putRequest(2, "b"));
  w.state(2, 6);
  w.flush();
  EtcdReplay r;
  CHECK(etcdEntriesToReplay(t.path.string(), 2, &r).code() == StatusCode::DataLoss);
  // At etcd's snapshot: its marker gives the term.
  EtcdReplay at4;
  REQUIRE(etcdEntriesToReplay(t.path.string(), 4, &at4));
  CHECK(at4.snapshotTerm == 2);
  CHECK(at4.entries.size() == 2);

  TempDir t2;
  t2.path += "-2";
  testing::EtcdWalWriter w2(t2.path);
  w2.cut();
  w2.metadata(1, 2);
  w2.entry(2, 5, putRequest(1, "a"));
  w2.state(2, 5);
  w2.flush();
  // Entry 5 follows the db's 4, but nothing says the term at 4.
  CHECK(etcdEntriesToReplay(t2.path.string(), 4, &r).code() == StatusCode::DataLoss);
  // Committed entries missing at the end.
  TempDir t3;
  t3.path += "-3";
  testing::EtcdWalWriter w3(t3.path);
  w3.cut();
  w3.metadata(1, 2);
  w3.entry(2, 1, putRequest(1, "a"));
  w3.state(2, 3);
  w3.flush();
  CHECK(etcdEntriesToReplay(t3.path.string(), 0, &r).code() == StatusCode::DataLoss);
}
