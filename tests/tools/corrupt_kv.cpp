// cairn-test-corrupt-kv: corrupts a stopped member's data on purpose, for
// the corruption-check tests. Rewrites the value of every revision of one
// key in the "key" bucket of a WiredTiger backend (<data-dir>/member/
// wiredtiger), leaving revisions, the index and consistent_index alone: the
// member's history then differs from its peers' only in the bytes HashKV
// hashes, as a flipped bit on disk would.
//
// Usage: cairn-test-corrupt-kv <backend-dir> <key> <new-value>
// Exit 0 when at least one revision was rewritten, 1 otherwise.
#include <cstdio>
#include <string>
#include <vector>

#include "cairn/storage.h"
#include "mvccpb/kv.pb.h"
#include "wiredtiger_backend.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <backend-dir> <key> <new-value>\n", argv[0]);
    return 2;
  }
  cairn::storage::WiredTigerBackend backend;
  cairn::storage::Options options;
  options.path = argv[1];
  if (cairn::Status st = backend.open(options); !st) {
    std::fprintf(stderr, "open %s: %s\n", argv[1], st.message().c_str());
    return 1;
  }
  const std::string key = argv[2];
  cairn::storage::WriteBatch batch;
  {
    auto txn = backend.beginRead();
    cairn::Status st = txn->range(
        cairn::storage::kKeyBucket, "", "", 0, false,
        [&](std::string_view rev, std::string_view value) {
          mvccpb::KeyValue kv;
          if (kv.ParseFromArray(value.data(), static_cast<int>(value.size())) && kv.key() == key) {
            kv.set_value(argv[3]);
            batch.put(cairn::storage::kKeyBucket, rev, kv.SerializeAsString());
          }
          return true;
        });
    if (!st) {
      std::fprintf(stderr, "scan: %s\n", st.message().c_str());
      return 1;
    }
  }
  const std::size_t n = batch.ops().size();
  if (n > 0) {
    if (cairn::Status st = backend.commit(batch); !st) {
      std::fprintf(stderr, "commit: %s\n", st.message().c_str());
      return 1;
    }
    if (cairn::Status st = backend.sync(); !st) {
      std::fprintf(stderr, "sync: %s\n", st.message().c_str());
      return 1;
    }
  }
  backend.close();
  std::printf("rewrote %zu revision(s) of %s\n", n, key.c_str());
  return n > 0 ? 0 : 1;
}
