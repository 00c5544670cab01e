// test-counter: the plugin guide's worked example (docs: "Writing a plugin").
//
// A service plugin with replicated state of its own:
//   declare()  bucket "test-counter"; the AddRequest command and its apply
//              handler (read the current value, write the sum into the
//              entry's batch); a recover hook loading the bucket into
//              memory; the cairn.test.Counter service.
//   start()    keeps the Host: Add proposes through it.
// Add  -> Host::propose; the answer is the apply handler's AddResponse.
// Get  -> the in-memory copy (updated by the apply loop on this member).
// Watch-> a StreamCall fed by the apply handler through CounterState.
// It includes only the SDK (kernel/include/cairn) and the shared protos.
#include <atomic>
#include <charconv>
#include <map>
#include <memory>
#include <string>

#include "cairn/host.h"
#include "cairn/plugin.h"
#include "cairn/test_counter.pb.h"
#include "counter_state.h"
#include "counter_watch_call.h"

namespace cairn::counter {
namespace {

constexpr std::string_view kBucket = "test-counter";

// Values are stored as decimal text: readable in a dump of the bucket.
bool parseValue(std::string_view text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

Status corrupt(std::string_view name) {
  return Status(StatusCode::DataLoss,
                "test-counter: bucket value of \"" + std::string(name) + "\" is not a number");
}

class CounterPlugin final : public ServicePlugin {
 public:
  Status declare(Registrar& registrar) override {
    if (Status st = registrar.bucket(kBucket); !st) return st;
    if (Status st = registrar.command<test::AddRequest, test::AddResponse>(
            [this](ApplyContext& ctx, const test::AddRequest& add, test::AddResponse* out) {
              return apply(ctx, add, out);
            });
        !st) {
      return st;
    }
    if (Status st = registrar.onRecover([this](storage::ReadTxn& read) { return recover(read); });
        !st) {
      return st;
    }
    return registrar.service(service());
  }

  Status start(Host& host) override {
    host_.store(&host, std::memory_order_release);
    host.logger().info(
        "test-counter/counter_plugin.cpp", "test-counter serving",
        jsonField("service", test::AddRequest::descriptor()->file()->package() + ".Counter"));
    return Status::ok();
  }

  // Streams still open are closed by their frontend when it stops; the
  // state they watch lives until the plugin is destroyed.
  void stop() override { host_.store(nullptr, std::memory_order_release); }

 private:
  // The apply loop, on every member, in log order, and again for entries
  // replayed from the WAL: deterministic, and nothing written before a
  // failure.
  Status apply(ApplyContext& ctx, const test::AddRequest& add, test::AddResponse* out) {
    int64_t current = 0;
    if (std::optional<std::string> stored = ctx.read->get(kBucket, add.name())) {
      if (!parseValue(*stored, &current)) return corrupt(add.name());
    }
    int64_t next = 0;
    if (__builtin_add_overflow(current, add.delta(), &next)) {
      return Status(StatusCode::OutOfRange,
                    "test-counter: counter \"" + add.name() + "\" would overflow int64");
    }
    ctx.batch->put(kBucket, add.name(), std::to_string(next));
    out->set_raft_index(ctx.index);
    out->set_value(next);
    state_.set(add.name(), next);
    return Status::ok();
  }

  // Before any entry is applied: the bucket as of the backend's consistent
  // index; replayed entries then apply on top.
  Status recover(storage::ReadTxn& read) {
    std::map<std::string, int64_t> values;
    Status bad;
    Status st = read.range(kBucket, "", "", 0, false, [&](std::string_view k, std::string_view v) {
      int64_t value = 0;
      if (!parseValue(v, &value)) {
        bad = corrupt(k);
        return false;
      }
      values.emplace(std::string(k), value);
      return true;
    });
    if (!st) return st;
    if (!bad) return bad;
    state_.load(std::move(values));
    return Status::ok();
  }

  ServiceDef service() {
    ServiceDef def;
    def.name = "cairn.test.Counter";
    def.method<test::AddRequest, test::AddResponse>(
        "Add", [this](const RequestContext& ctx, const test::AddRequest& req,
                      Done<test::AddResponse> done) { add(ctx, req, std::move(done)); });
    def.method<test::GetRequest, test::GetResponse>(
        "Get",
        [this](const RequestContext&, const test::GetRequest& req, Done<test::GetResponse> done) {
          test::GetResponse response;
          response.set_value(state_.get(req.name()));
          done(Status::ok(), std::move(response));
        });
    def.stream("Watch", [this](const RequestContext&, std::function<void()> onReady) {
      return std::make_unique<CounterWatchCall>(state_, std::move(onReady));
    });
    return def;
  }

  void add(const RequestContext& ctx, const test::AddRequest& req, Done<test::AddResponse> done) {
    Host* host = host_.load(std::memory_order_acquire);
    if (host == nullptr) {
      done(Status(StatusCode::Unavailable, "test-counter: not serving"), {});
      return;
    }
    // The client's context goes with the proposal: its identity is checked
    // before proposing and again at apply time.
    host->propose(ctx, req,
                  [host, done = std::move(done)](
                      Status st, std::unique_ptr<google::protobuf::Message> applied) {
                    if (!st) {
                      done(std::move(st), {});
                      return;
                    }
                    test::AddResponse response;
                    if (applied != nullptr) {
                      response.CopyFrom(static_cast<const test::AddResponse&>(*applied));
                    }
                    response.set_cluster_id(host->cluster().clusterId());
                    response.set_member_id(host->cluster().memberId());
                    done(Status::ok(), std::move(response));
                  });
  }

  std::atomic<Host*> host_{nullptr};
  CounterState state_;
};

Plugin* create() {
  return new CounterPlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

constexpr PluginDescriptor kDescriptor{kPluginAbiVersion, "test-counter", PluginKind::Extension,
                                       &create, &destroy};

}  // namespace
}  // namespace cairn::counter

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::counter::kDescriptor;
}
