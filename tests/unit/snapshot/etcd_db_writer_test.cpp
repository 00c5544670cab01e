#include "snapshot/etcd_db_writer.h"

#include <catch2/catch.hpp>
#include <map>

#include "cairn/storage.h"
#include "etcdserverpb/rpc.pb.h"
#include "memory_backend.h"
#include "snapshot/bbolt_reader.h"
#include "snapshot/export_to_bbolt.h"
#include "snapshot/plugin_buckets.h"

using namespace cairn;
using namespace cairn::snapshot;

TEST_CASE("etcd db: members become etcd's JSON") {
  etcdserverpb::Member m;
  m.set_id(0x8e9e05c52164694dull);
  m.set_name("default");
  m.add_peerurls("http://localhost:2380");
  m.add_clienturls("http://localhost:2379");
  std::string json;
  REQUIRE(EtcdDbWriter::memberJson(m.SerializeAsString(), &json));
  CHECK(json ==
        "{\"id\":10276657743932975437,\"peerURLs\":[\"http://localhost:2380\"],"
        "\"name\":\"default\",\"clientURLs\":[\"http://localhost:2379\"]}");

  etcdserverpb::Member learner;
  learner.set_id(1);
  learner.add_peerurls("http://a<b>&c:1");
  learner.set_islearner(true);
  REQUIRE(EtcdDbWriter::memberJson(learner.SerializeAsString(), &json));
  CHECK(json ==
        "{\"id\":1,\"peerURLs\":[\"http://a\\u003cb\\u003e\\u0026c:1\"],\"isLearner\":true}");

  CHECK(EtcdDbWriter::memberJson("\xff\xff", &json).code() == StatusCode::DataLoss);
}

TEST_CASE("etcd db: an auth revision already stored is kept, in key order") {
  std::string file;
  BboltWriter bolt([&](uint64_t off, std::string_view data) {
    if (file.size() < off + data.size()) file.resize(off + data.size(), '\0');
    file.replace(off, data.size(), data);
    return Status::ok();
  });
  EtcdDbWriter etcd(bolt);
  REQUIRE(etcd.add("auth", "authEnabled", std::string("\x01", 1)));
  REQUIRE(etcd.add("auth", "authRevision", std::string("\0\0\0\0\0\0\0\x07", 8)));
  REQUIRE(etcd.add("key", std::string(17, '\0'), "kv"));
  REQUIRE(etcd.finish());
  BboltReader r(
      [&](uint64_t off, std::size_t n, std::string* out) {
        *out = file.substr(off, n);
        return Status::ok();
      },
      file.size());
  REQUIRE(r.open());
  std::vector<std::string> keys;
  REQUIRE(r.forEach("auth", [&](std::string_view k, std::string_view v) {
    keys.emplace_back(k);
    if (k == "authRevision") CHECK(v == std::string("\0\0\0\0\0\0\0\x07", 8));
    return true;
  }));
  CHECK(keys == std::vector<std::string>{"authEnabled", "authRevision"});
}

TEST_CASE("etcd db: a backend export becomes etcd's buckets") {
  storage::MemoryBackend backend;
  REQUIRE(backend.open({}));
  storage::WriteBatch batch;
  batch.put("key", std::string("\0\0\0\0\0\0\0\x02_\0\0\0\0\0\0\0\0", 17), "kv-bytes");
  batch.put("meta", "consistent_index", std::string("\0\0\0\0\0\0\0\x05", 8));
  batch.put("lua-hooks", "progress", "cairn only");
  batch.put("conf_changes_refused", "x", "kernel bookkeeping");
  etcdserverpb::Member m;
  m.set_id(255);
  m.add_peerurls("http://p:2380");
  batch.put("members", "ff", m.SerializeAsString());
  REQUIRE(backend.commit(batch));

  std::string file;
  uint64_t bytes = 0;
  REQUIRE(exportToBbolt(
      backend,
      [&](uint64_t off, std::string_view data) {
        if (file.size() < off + data.size()) file.resize(off + data.size(), '\0');
        file.replace(off, data.size(), data);
        return Status::ok();
      },
      &bytes));
  REQUIRE(bytes == file.size());

  BboltReader r(
      [&](uint64_t off, std::size_t n, std::string* out) {
        *out = file.substr(off, n);
        return Status::ok();
      },
      file.size());
  REQUIRE(r.open());
  std::vector<std::string> names;
  REQUIRE(r.bucketNames(&names));
  // etcd's buckets, the plugin's under its prefixed name; the kernel's own
  // bookkeeping is left out.
  CHECK(names == std::vector<std::string>{"alarm", "auth", "authRoles", "authUsers",
                                          "cairn-plugin/lua-hooks", "cluster", "key", "lease",
                                          "members", "members_removed", "meta"});
  std::map<std::string, std::string> members, cluster, key, auth;
  auto into = [](std::map<std::string, std::string>& m) {
    return [&m](std::string_view k, std::string_view v) {
      m[std::string(k)] = std::string(v);
      return true;
    };
  };
  REQUIRE(r.forEach("members", into(members)));
  REQUIRE(r.forEach("cluster", into(cluster)));
  REQUIRE(r.forEach("key", into(key)));
  REQUIRE(r.forEach("auth", into(auth)));
  CHECK(members == std::map<std::string, std::string>{
                       {"ff", "{\"id\":255,\"peerURLs\":[\"http://p:2380\"]}"}});
  CHECK(cluster == std::map<std::string, std::string>{{"clusterVersion", "3.4.0"}});
  CHECK(key.size() == 1);
  // The revision etcd's auth store writes when it first starts.
  CHECK(auth ==
        std::map<std::string, std::string>{{"authRevision", std::string("\0\0\0\0\0\0\0\x01", 8)}});
  CHECK(r.forEach("lua-hooks", into(key)).code() == StatusCode::NotFound);
  std::map<std::string, std::string> plugin;
  REQUIRE(r.forEach("cairn-plugin/lua-hooks", into(plugin)));
  CHECK(plugin == std::map<std::string, std::string>{{"progress", "cairn only"}});
}

TEST_CASE("etcd db: plugin bucket names never land on etcd's or the kernel's") {
  CHECK(isPluginBucket("lua-hooks"));
  CHECK(isPluginBucket("test-counter"));
  CHECK_FALSE(isPluginBucket("key"));
  CHECK_FALSE(isPluginBucket("cluster"));
  CHECK_FALSE(isPluginBucket("conf_changes_refused"));
  CHECK(snapshotBucketName("lua-hooks") == "cairn-plugin/lua-hooks");
  CHECK(pluginBucketOf("cairn-plugin/lua-hooks") == std::optional<std::string>("lua-hooks"));
  // A file that names an etcd or kernel bucket under the prefix restores
  // nothing there.
  CHECK_FALSE(pluginBucketOf("cairn-plugin/key"));
  CHECK_FALSE(pluginBucketOf("cairn-plugin/conf_changes_refused"));
  CHECK_FALSE(pluginBucketOf("cairn-plugin/"));
  CHECK_FALSE(pluginBucketOf("lua-hooks"));
  for (std::string_view etcd : kEtcdBuckets) {
    CHECK(etcd.find('/') == std::string_view::npos);
  }
}
