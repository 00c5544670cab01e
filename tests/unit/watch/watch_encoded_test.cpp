// WatchStream::pollEncoded: a response written as bytes, its live events
// copied from their revision's shared encoding, must be byte for byte what
// serializing poll()'s response gives (with the same header), whatever the
// watcher's options (prev_kv, filters), merged revisions, multi-event
// revisions, catch-up, control responses and negative ids.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "watch/shared_events.h"
#include "watch_test_util.h"

using namespace cairn;
using namespace cairn::watch;
using namespace cairn::watch::test;

namespace {

etcdserverpb::ResponseHeader memberHeader() {
  etcdserverpb::ResponseHeader h;
  h.set_cluster_id(0x1234567890abcdefULL);
  h.set_member_id(0xfedcba0987654321ULL);
  h.set_raft_term(7);
  return h;
}

// Creates the same watchers on `s`; the ids match stream for stream.
void addWatchers(WatchStream& s) {
  mustCreate(s, watchKey("a"));  // id 0: omitted on the wire
  auto withPrev = watchKey("a", "z");
  withPrev.prevKv = true;
  mustCreate(s, withPrev);
  auto noPut = watchKey("a", "z");
  noPut.noPut = true;
  mustCreate(s, noPut);
  auto noDelete = watchKey("a", "z");
  noDelete.noDelete = true;
  noDelete.prevKv = true;
  mustCreate(s, noDelete);
  auto big = watchKey("a", "z");
  big.watchId = 1LL << 40;  // a client-chosen id, several varint bytes
  mustCreate(s, big);
  auto past = watchKey("a", "z", 1);  // catch-up from history
  mustCreate(s, past);
  auto dup = watchKey("b");
  dup.watchId = 1LL << 40;  // refused: created + canceled, watch_id -1
  int64_t id = 0;
  CHECK_FALSE(s.create(dup, &id).isOk());
}

// Drains both streams: one by poll() (each response then serialized with
// the header), the other by pollEncoded(). The hub may queue a revision for
// the watchers of two streams in different orders, so the responses are
// compared watcher by watcher, in order. Returns how many compared.
int drainAndCompare(WatchStream& built, WatchStream& encoded) {
  const etcdserverpb::ResponseHeader header = memberHeader();
  std::map<int64_t, std::vector<std::string>> fromBuilt, fromEncoded;
  std::map<int64_t, std::vector<std::string>> text;
  int n = 0;
  for (etcdserverpb::WatchResponse r; built.poll(&r); ++n) {
    const int64_t rev = r.header().revision();
    *r.mutable_header() = header;
    r.mutable_header()->set_revision(rev);
    fromBuilt[r.watch_id()].push_back(r.SerializeAsString());
    text[r.watch_id()].push_back(r.ShortDebugString());
  }
  std::string bytes = "left over from an earlier response";
  while (encoded.pollEncoded(header, &bytes)) {
    etcdserverpb::WatchResponse back;
    REQUIRE(back.ParseFromString(bytes));
    fromEncoded[back.watch_id()].push_back(bytes);
  }
  REQUIRE(fromBuilt.size() == fromEncoded.size());
  for (const auto& [id, responses] : fromBuilt) {
    REQUIRE(fromEncoded[id].size() == responses.size());
    for (std::size_t i = 0; i < responses.size(); ++i) {
      INFO("watch " << id << ", response " << i << ": " << text[id][i]);
      CHECK(fromEncoded[id][i] == responses[i]);
    }
  }
  return n;
}

}  // namespace

TEST_CASE("watch: an encoded response equals the serialized built one", "[watch][encoded]") {
  HubConfig cfg;
  cfg.mergeAfterBytes = 0;  // merge whatever waits, to cover merged responses
  // Catch-up from the recent log, or (1 revision kept) from history.
  cfg.recentRevisions = GENERATE(1024, 1);
  HubFixture f(cfg);
  f.put("a", "first");
  f.put("b", "first");
  RecordingSink sinkBuilt, sinkEncoded;
  auto built = f.hub->newStream(sinkBuilt);
  auto encoded = f.hub->newStream(sinkEncoded);
  addWatchers(*built);
  addWatchers(*encoded);
  f.syncAll();
  CHECK(drainAndCompare(*built, *encoded) >= 7);  // created responses, refusal, catch-up

  // Live revisions, one response each while the streams keep up.
  f.put("a", "second");
  CHECK(drainAndCompare(*built, *encoded) == 5);
  f.put("c", std::string(300, 'v'));  // a value over 127 bytes: 2-byte lengths
  CHECK(drainAndCompare(*built, *encoded) > 0);

  // Nobody reads: revisions merge, a range delete puts several events in
  // one revision, some of them filtered out per watcher.
  for (int i = 0; i < 20; ++i) f.put(std::string(1, static_cast<char>('b' + i % 5)), "v");
  f.del("b", "e");
  f.put("d", "after");
  CHECK(drainAndCompare(*built, *encoded) > 0);

  // Control responses: progress and cancel.
  built->requestProgress();
  encoded->requestProgress();
  CHECK(built->cancel(1).isOk());
  CHECK(encoded->cancel(1).isOk());
  CHECK(drainAndCompare(*built, *encoded) == 2);
}

TEST_CASE("watch: a revision's events are encoded once per form and shared", "[watch][encoded]") {
  mvccpb::Event put;
  put.set_type(mvccpb::Event::PUT);
  put.mutable_kv()->set_key("k");
  put.mutable_kv()->set_value("v2");
  put.mutable_prev_kv()->set_key("k");
  put.mutable_prev_kv()->set_value("v1");
  mvccpb::Event del;
  del.set_type(mvccpb::Event::DELETE);
  del.mutable_kv()->set_key("j");
  SharedEvents shared({put, del}, true);
  const EncodedEvents& with = shared.encoded(true);
  const EncodedEvents& without = shared.encoded(false);
  CHECK(&with == &shared.encoded(true));
  CHECK(&without == &shared.encoded(false));
  REQUIRE(with.ends.size() == 2);
  CHECK(with.event(0) == put.SerializeAsString());
  CHECK(with.event(1) == del.SerializeAsString());
  mvccpb::Event bare = put;
  bare.clear_prev_kv();
  CHECK(without.event(0) == bare.SerializeAsString());
  CHECK(without.event(1) == del.SerializeAsString());
}
