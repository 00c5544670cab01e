// The HookProgress command's apply handler: progress only moves forward,
// and a corrupt stored value is refused rather than overwritten.
#include <catch2/catch.hpp>
#include <map>

#include "progress_store.h"

using namespace cairn;
using namespace cairn::luahooks;

namespace {

class MapRead final : public storage::ReadTxn {
 public:
  std::map<std::string, std::string> values;
  std::optional<std::string> get(std::string_view bucket, std::string_view key) override {
    if (bucket != kProgressBucket) return std::nullopt;
    auto it = values.find(std::string(key));
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  Status range(std::string_view, std::string_view, std::string_view, std::size_t, bool,
               const storage::KeyValueVisitor&) override {
    return Status::ok();
  }
};

// Applies `revision` for `handler` and copies the batch into `state`.
Status apply(MapRead& state, const std::string& handler, int64_t revision, int64_t* out) {
  storage::WriteBatch batch;
  AuthInfo caller;
  ApplyContext ctx{7, &caller, &state, &batch};
  HookProgress cmd;
  cmd.set_handler(handler);
  cmd.set_revision(revision);
  HookProgressResponse resp;
  Status st = applyProgress(ctx, cmd, &resp);
  for (const auto& op : batch.ops()) {
    REQUIRE(op.bucket == kProgressBucket);
    state.values[op.key] = op.value;
  }
  *out = resp.revision();
  return st;
}

}  // namespace

TEST_CASE("progress only moves forward") {
  MapRead state;
  int64_t now = 0;
  REQUIRE(apply(state, "a.lua#1", 10, &now));
  CHECK(now == 10);
  CHECK(state.values["a.lua#1"] == "10");
  REQUIRE(apply(state, "a.lua#1", 7, &now));  // a deposed leader's late proposal
  CHECK(now == 10);
  CHECK(state.values["a.lua#1"] == "10");
  REQUIRE(apply(state, "a.lua#1", 12, &now));
  CHECK(state.values["a.lua#1"] == "12");
  REQUIRE(apply(state, "b.lua#x", 3, &now));
  CHECK(state.values["b.lua#x"] == "3");
  CHECK(state.values["a.lua#1"] == "12");
}

TEST_CASE("a bad command or stored value writes nothing") {
  MapRead state;
  int64_t now = 0;
  CHECK(apply(state, "", 1, &now).code() == StatusCode::InvalidArgument);
  CHECK(apply(state, "a", -1, &now).code() == StatusCode::InvalidArgument);
  state.values["a"] = "garbage";
  CHECK(apply(state, "a", 5, &now).code() == StatusCode::DataLoss);
  CHECK(state.values["a"] == "garbage");
}
