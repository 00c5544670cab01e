// A plugin's declarations for the member tests, without a shared library:
// one bucket ("fake"), one command (mvccpb.KeyValue, travelling as
// cairn_plugin_command) that writes the key into the bucket, one command of
// an etcd field's type (AuthUserAddRequest, travelling in auth_user_add), a
// recover hook, and a journal of what ran in which order.
#pragma once

#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cairn/registrar.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvccpb/kv.pb.h"

namespace cairn::server::testing {

class FakePlugin {
 public:
  static constexpr const char* kBucket = "fake";

  // Declares into `registrar`; `neighbour` (if set) declares the bucket
  // "neighbour" as another plugin's.
  void declare(Registrar& registrar) {
    REQUIRE(registrar.bucket(kBucket).isOk());
    REQUIRE((registrar.command<mvccpb::KeyValue, etcdserverpb::PutResponse>(
                 [this](ApplyContext& ctx, const mvccpb::KeyValue& kv,
                        etcdserverpb::PutResponse* resp) { return apply(ctx, kv, resp); }))
                .isOk());
    REQUIRE((registrar.command<etcdserverpb::AuthUserAddRequest, etcdserverpb::AuthUserAddResponse>(
                 [this](ApplyContext& ctx, const etcdserverpb::AuthUserAddRequest& req,
                        etcdserverpb::AuthUserAddResponse*) {
                   ctx.batch->put(kBucket, "user/" + req.name(), req.password());
                   note("apply:user/" + req.name());
                   return Status::ok();
                 }))
                .isOk());
    REQUIRE(registrar
                .onRecover([this](storage::ReadTxn& read) {
                  std::size_t keys = 0;
                  Status st = read.range(kBucket, "", "", 0, false,
                                         [&](std::string_view, std::string_view) {
                                           ++keys;
                                           return true;
                                         });
                  note("recover:" + std::to_string(keys));
                  return st;
                })
                .isOk());
  }

  // Makes the next command with key "latch" hold the apply loop until
  // release() (to order events around an entry that is committed but not
  // yet applied). Returns a future set once the handler holds.
  std::future<void> armLatch() {
    std::lock_guard lk(mu_);
    entered_ = std::promise<void>();
    release_ = std::promise<void>();
    releaseFuture_ = release_->get_future().share();
    return entered_->get_future();
  }
  void release() {
    std::lock_guard lk(mu_);
    if (release_) release_->set_value();
    release_.reset();
  }

  std::vector<std::string> journal() const {
    std::lock_guard lk(mu_);
    return journal_;
  }
  void clearJournal() {
    std::lock_guard lk(mu_);
    journal_.clear();
  }

 private:
  Status apply(ApplyContext& ctx, const mvccpb::KeyValue& kv, etcdserverpb::PutResponse*) {
    if (kv.key() == "latch") {
      std::shared_future<void> wait;
      {
        std::lock_guard lk(mu_);
        if (entered_) entered_->set_value();
        entered_.reset();
        wait = releaseFuture_;
      }
      if (wait.valid()) wait.wait();
      return Status::ok();
    }
    // Keys naming a bucket write there instead: "bucket:<name>".
    const std::string bucket =
        kv.key().rfind("bucket:", 0) == 0 ? kv.key().substr(7) : std::string(kBucket);
    ctx.batch->put(bucket, kv.key(), kv.value());
    note("apply:" + kv.key());
    if (kv.value() == "fail") return Status(StatusCode::FailedPrecondition, "fake: asked to fail");
    return Status::ok();
  }
  void note(std::string what) {
    std::lock_guard lk(mu_);
    journal_.push_back(std::move(what));
  }

  mutable std::mutex mu_;
  std::vector<std::string> journal_;                     // guarded by mu_
  std::optional<std::promise<void>> entered_, release_;  // guarded by mu_
  std::shared_future<void> releaseFuture_;               // guarded by mu_
};

}  // namespace cairn::server::testing
