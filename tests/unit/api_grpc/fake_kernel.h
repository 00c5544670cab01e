// Test doubles for the kernel side of the api-grpc plugin: a Host whose
// settings are the kernel's flag table (etcd's defaults, the kernel's
// parsers) with per-test flags; KV, Lease, Cluster and Maintenance services
// that record every request and its RequestContext and answer as each test
// scripts it, from their own "kernel" thread as the real kernel does; a
// Watch service whose sessions a test fills and wakes by hand; a service
// registry tests add plugin services to; and metrics, events, propose and
// read that api-grpc does not use, answering without pretending success.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../common/kernel_thread.h"
#include "cairn/host.h"
#include "config/flag_spec.h"
#include "config/go_values.h"
#include "config/url.h"

namespace cairn::api::test {

using cairn::test::KernelThread;  // tests/unit/common/kernel_thread.h

// Recorded requests and the scripted behaviour of one KV or Lease method.
template <typename Request, typename Response>
class FakeMethod {
 public:
  using Handler = std::function<void(const Request&, Done<Response>)>;

  void script(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }

  // Called from gRPC's callback threads.
  void call(const RequestContext& ctx, const Request& request, Done<Response> done) {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      contexts_.push_back(ctx);
      handler = handler_;
    }
    cv_.notify_all();
    if (handler) {
      handler(request, std::move(done));
    } else {
      // An unscripted call is a test bug: answer loudly, never succeed.
      done(Status(StatusCode::Internal, "fake kernel: no script for this method"), Response{});
    }
  }

  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // The context of each call; copies share the call's CancelToken, so a
  // test sees a cancellation that happens later.
  std::vector<RequestContext> contexts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return contexts_;
  }

  // Waits until `count` requests arrived; false on timeout.
  bool waitForRequests(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;         // guarded by mu_
  std::vector<RequestContext> contexts_;  // guarded by mu_
  Handler handler_;                       // guarded by mu_
};

class FakeKv final : public KvService {
 public:
  void range(const RequestContext& ctx, const etcdserverpb::RangeRequest& req,
             Done<etcdserverpb::RangeResponse> done) override {
    rangeMethod.call(ctx, req, std::move(done));
  }
  void put(const RequestContext& ctx, const etcdserverpb::PutRequest& req,
           Done<etcdserverpb::PutResponse> done) override {
    putMethod.call(ctx, req, std::move(done));
  }
  void deleteRange(const RequestContext& ctx, const etcdserverpb::DeleteRangeRequest& req,
                   Done<etcdserverpb::DeleteRangeResponse> done) override {
    deleteRangeMethod.call(ctx, req, std::move(done));
  }
  void txn(const RequestContext& ctx, const etcdserverpb::TxnRequest& req,
           Done<etcdserverpb::TxnResponse> done) override {
    txnMethod.call(ctx, req, std::move(done));
  }
  void compact(const RequestContext& ctx, const etcdserverpb::CompactionRequest& req,
               Done<etcdserverpb::CompactionResponse> done) override {
    compactMethod.call(ctx, req, std::move(done));
  }

  FakeMethod<etcdserverpb::RangeRequest, etcdserverpb::RangeResponse> rangeMethod;
  FakeMethod<etcdserverpb::PutRequest, etcdserverpb::PutResponse> putMethod;
  FakeMethod<etcdserverpb::DeleteRangeRequest, etcdserverpb::DeleteRangeResponse> deleteRangeMethod;
  FakeMethod<etcdserverpb::TxnRequest, etcdserverpb::TxnResponse> txnMethod;
  FakeMethod<etcdserverpb::CompactionRequest, etcdserverpb::CompactionResponse> compactMethod;
};

class FakeLease final : public LeaseService {
 public:
  void grant(const RequestContext& ctx, const etcdserverpb::LeaseGrantRequest& req,
             Done<etcdserverpb::LeaseGrantResponse> done) override {
    grantMethod.call(ctx, req, std::move(done));
  }
  void revoke(const RequestContext& ctx, const etcdserverpb::LeaseRevokeRequest& req,
              Done<etcdserverpb::LeaseRevokeResponse> done) override {
    revokeMethod.call(ctx, req, std::move(done));
  }
  void keepAlive(const RequestContext& ctx, const etcdserverpb::LeaseKeepAliveRequest& req,
                 Done<etcdserverpb::LeaseKeepAliveResponse> done) override {
    keepAliveMethod.call(ctx, req, std::move(done));
  }
  void timeToLive(const RequestContext& ctx, const etcdserverpb::LeaseTimeToLiveRequest& req,
                  Done<etcdserverpb::LeaseTimeToLiveResponse> done) override {
    timeToLiveMethod.call(ctx, req, std::move(done));
  }
  void leases(const RequestContext& ctx, const etcdserverpb::LeaseLeasesRequest& req,
              Done<etcdserverpb::LeaseLeasesResponse> done) override {
    leasesMethod.call(ctx, req, std::move(done));
  }

  FakeMethod<etcdserverpb::LeaseGrantRequest, etcdserverpb::LeaseGrantResponse> grantMethod;
  FakeMethod<etcdserverpb::LeaseRevokeRequest, etcdserverpb::LeaseRevokeResponse> revokeMethod;
  FakeMethod<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>
      keepAliveMethod;
  FakeMethod<etcdserverpb::LeaseTimeToLiveRequest, etcdserverpb::LeaseTimeToLiveResponse>
      timeToLiveMethod;
  FakeMethod<etcdserverpb::LeaseLeasesRequest, etcdserverpb::LeaseLeasesResponse> leasesMethod;
};

// One fake watch stream. The test queues responses with push() (which calls
// onReady when the queue goes from empty to non-empty, as the kernel does)
// and may script request() to queue answers inline, from inside request().
class FakeWatchSession {
 public:
  using RequestScript = std::function<void(const etcdserverpb::WatchRequest&, FakeWatchSession&)>;

  FakeWatchSession(std::function<void()> onReady, RequestScript script)
      : onReady_(std::move(onReady)), script_(std::move(script)) {}

  // WatchSession's side, from the plugin.
  void request(const etcdserverpb::WatchRequest& req) {
    RequestScript script;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      script = script_;
    }
    cv_.notify_all();
    if (script) script(req, *this);
  }
  bool poll(etcdserverpb::WatchResponse* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.empty()) return false;
    *out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  void close() {
    // Waits for a running onReady: after close() returns it never runs again.
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // The test's side. Queues `response`; onReady runs on the calling thread if
  // the queue was empty and `notify` is set. Dropped once closed.
  void push(etcdserverpb::WatchResponse response, bool notify = true) {
    bool wasEmpty = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      wasEmpty = queue_.empty();
      queue_.push_back(std::move(response));
    }
    if (wasEmpty && notify) fireOnReady();
  }
  // onReady unless closed (a spurious or a late wake-up).
  void fireOnReady() {
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
    }
    onReady_();
  }
  // onReady even when closed, which the real kernel never does: for tests of
  // a wake-up arriving after the stream is gone.
  void fireOnReadyIgnoringClose() { onReady_(); }

  std::vector<etcdserverpb::WatchRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  bool waitForRequests(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  }
  bool waitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return closed_; });
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  // Held while onReady runs and by close(), so close() waits for it.
  std::mutex callMu_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()> onReady_;
  const RequestScript script_;
  std::deque<etcdserverpb::WatchResponse> queue_;     // guarded by mu_
  std::vector<etcdserverpb::WatchRequest> requests_;  // guarded by mu_
  bool closed_ = false;                               // guarded by mu_
};

// What open() hands the plugin: the plugin owns this handle, the test keeps
// the session itself to look at it after the stream is gone.
class FakeWatchSessionHandle final : public WatchSession {
 public:
  explicit FakeWatchSessionHandle(std::shared_ptr<FakeWatchSession> session)
      : session_(std::move(session)) {}
  ~FakeWatchSessionHandle() override { session_->close(); }
  void request(const etcdserverpb::WatchRequest& req) override { session_->request(req); }
  bool poll(etcdserverpb::WatchResponse* out) override { return session_->poll(out); }
  void close() override { session_->close(); }

 private:
  const std::shared_ptr<FakeWatchSession> session_;
};

class FakeWatch final : public WatchService {
 public:
  // Applies to sessions opened afterwards.
  void scriptRequests(FakeWatchSession::RequestScript script) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(script);
  }

  std::unique_ptr<WatchSession> open(const RequestContext& ctx,
                                     std::function<void()> onReady) override {
    std::shared_ptr<FakeWatchSession> session;
    {
      std::lock_guard<std::mutex> lock(mu_);
      session = std::make_shared<FakeWatchSession>(std::move(onReady), script_);
      sessions_.push_back(session);
      contexts_.push_back(ctx);
    }
    cv_.notify_all();
    return std::make_unique<FakeWatchSessionHandle>(std::move(session));
  }

  // The index-th session opened, once it exists (nullptr on timeout).
  std::shared_ptr<FakeWatchSession> waitForSession(size_t index,
                                                   std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return sessions_.size() > index; })) return nullptr;
    return sessions_[index];
  }
  size_t sessionCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }
  std::vector<RequestContext> contexts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return contexts_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  FakeWatchSession::RequestScript script_;                   // guarded by mu_
  std::vector<std::shared_ptr<FakeWatchSession>> sessions_;  // guarded by mu_
  std::vector<RequestContext> contexts_;                     // guarded by mu_
};

// Scripts: answer `response` (or `status`) later, on the kernel thread.
template <typename Request, typename Response>
typename FakeMethod<Request, Response>::Handler replyOn(KernelThread& kernel, Response response) {
  return [&kernel, response](const Request&, Done<Response> done) {
    kernel.post(
        [done = std::move(done), response]() mutable { done(Status::ok(), Response(response)); });
  };
}

template <typename Request, typename Response>
typename FakeMethod<Request, Response>::Handler failOn(KernelThread& kernel, Status status) {
  return [&kernel, status](const Request&, Done<Response> done) {
    kernel.post([done = std::move(done), status]() mutable { done(status, Response{}); });
  };
}

class CapturingLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view msg, std::string_view fields) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::string(msg) + " {" + std::string(fields) + "}");
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;  // guarded by mu_
};

// One fake StreamCall (a registered streaming method, or Maintenance's
// Snapshot). The test queues responses with push() and ends the call with
// finish(); both signal onReady as a handler does. Client messages are
// recorded, and an optional script may answer them inline.
class FakeStreamCall {
 public:
  using MessageScript = std::function<void(const google::protobuf::Message&, FakeStreamCall&)>;

  FakeStreamCall(RequestContext ctx, std::function<void()> onReady, MessageScript script)
      : ctx_(std::move(ctx)), onReady_(std::move(onReady)), script_(std::move(script)) {}

  // StreamCall's side, from the plugin.
  void onMessage(const google::protobuf::Message& request) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::unique_ptr<google::protobuf::Message> copy(request.New());
      copy->CopyFrom(request);
      messages_.push_back(std::move(copy));
    }
    cv_.notify_all();
    if (script_) script_(request, *this);
  }
  void onClientDone() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      clientDone_ = true;
    }
    cv_.notify_all();
  }
  StreamCall::Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queue_.empty()) {
      *out = std::move(queue_.front());
      queue_.pop_front();
      return StreamCall::Next::Message;
    }
    if (final_) {
      *finalStatus = *final_;
      return StreamCall::Next::Finished;
    }
    return StreamCall::Next::Idle;
  }
  void close() {
    // Waits for a running onReady: after close() returns it never runs again.
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // The test's side.
  void push(std::unique_ptr<google::protobuf::Message> response) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      queue_.push_back(std::move(response));
    }
    fireOnReady();
  }
  void finish(Status status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      final_ = std::move(status);
    }
    fireOnReady();
  }
  void fireOnReady() {
    std::lock_guard<std::mutex> calling(callMu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
    }
    onReady_();
  }

  const RequestContext& context() const { return ctx_; }
  size_t messageCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_.size();
  }
  // A copy of the index-th client message.
  template <typename T>
  T message(size_t index) const {
    std::lock_guard<std::mutex> lock(mu_);
    T out;
    out.CopyFrom(*messages_.at(index));
    return out;
  }
  bool waitForMessages(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }
  bool waitClientDone(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return clientDone_; });
  }
  bool waitClosed(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return closed_; });
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  const RequestContext ctx_;
  std::mutex callMu_;  // held while onReady runs and by close()
  mutable std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()> onReady_;
  const MessageScript script_;
  std::deque<std::unique_ptr<google::protobuf::Message>> queue_;      // guarded by mu_
  std::optional<Status> final_;                                       // guarded by mu_
  std::vector<std::unique_ptr<google::protobuf::Message>> messages_;  // guarded by mu_
  bool clientDone_ = false;                                           // guarded by mu_
  bool closed_ = false;                                               // guarded by mu_
};

// What a handler hands the plugin; the test keeps the call itself.
class FakeStreamCallHandle final : public StreamCall {
 public:
  explicit FakeStreamCallHandle(std::shared_ptr<FakeStreamCall> call) : call_(std::move(call)) {}
  ~FakeStreamCallHandle() override { call_->close(); }
  void onMessage(const google::protobuf::Message& request) override { call_->onMessage(request); }
  void onClientDone() override { call_->onClientDone(); }
  Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) override {
    return call_->poll(out, finalStatus);
  }
  void close() override { call_->close(); }

 private:
  const std::shared_ptr<FakeStreamCall> call_;
};

// Opens FakeStreamCalls and keeps them for the test: a StreamHandler.
class FakeStreams {
 public:
  void script(FakeStreamCall::MessageScript script) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(script);
  }
  std::unique_ptr<StreamCall> open(const RequestContext& ctx, std::function<void()> onReady) {
    std::shared_ptr<FakeStreamCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      call = std::make_shared<FakeStreamCall>(ctx, std::move(onReady), script_);
      calls_.push_back(call);
    }
    cv_.notify_all();
    return std::make_unique<FakeStreamCallHandle>(std::move(call));
  }
  StreamHandler handler() {
    return [this](const RequestContext& ctx, std::function<void()> onReady) {
      return open(ctx, std::move(onReady));
    };
  }
  std::shared_ptr<FakeStreamCall> waitForCall(size_t index, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return calls_.size() > index; })) return nullptr;
    return calls_[index];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  FakeStreamCall::MessageScript script_;                // guarded by mu_
  std::vector<std::shared_ptr<FakeStreamCall>> calls_;  // guarded by mu_
};

class FakeCluster final : public Cluster {
 public:
  uint64_t clusterId() const override { return 14841639068965178418ull; }
  uint64_t memberId() const override { return 10276657743932975437ull; }
  std::vector<MemberInfo> members() const override {
    MemberInfo self;
    self.id = memberId();
    self.name = "default";
    self.peerUrls = {"http://localhost:2380"};
    self.clientUrls = {"http://localhost:2379"};
    return {self};
  }
  uint64_t leaderId() const override { return memberId(); }
  bool isLeader() const override { return true; }
  etcdserverpb::ResponseHeader header(int64_t revision) const override {
    etcdserverpb::ResponseHeader h;
    h.set_cluster_id(clusterId());
    h.set_member_id(memberId());
    h.set_revision(revision);
    h.set_raft_term(2);
    return h;
  }
  void memberList(const RequestContext& ctx, const etcdserverpb::MemberListRequest& req,
                  Done<etcdserverpb::MemberListResponse> done) override {
    memberListMethod.call(ctx, req, std::move(done));
  }
  void memberAdd(const RequestContext& ctx, const etcdserverpb::MemberAddRequest& req,
                 Done<etcdserverpb::MemberAddResponse> done) override {
    memberAddMethod.call(ctx, req, std::move(done));
  }
  void memberRemove(const RequestContext& ctx, const etcdserverpb::MemberRemoveRequest& req,
                    Done<etcdserverpb::MemberRemoveResponse> done) override {
    memberRemoveMethod.call(ctx, req, std::move(done));
  }
  void memberUpdate(const RequestContext& ctx, const etcdserverpb::MemberUpdateRequest& req,
                    Done<etcdserverpb::MemberUpdateResponse> done) override {
    memberUpdateMethod.call(ctx, req, std::move(done));
  }
  void memberPromote(const RequestContext& ctx, const etcdserverpb::MemberPromoteRequest& req,
                     Done<etcdserverpb::MemberPromoteResponse> done) override {
    memberPromoteMethod.call(ctx, req, std::move(done));
  }

  FakeMethod<etcdserverpb::MemberListRequest, etcdserverpb::MemberListResponse> memberListMethod;
  FakeMethod<etcdserverpb::MemberAddRequest, etcdserverpb::MemberAddResponse> memberAddMethod;
  FakeMethod<etcdserverpb::MemberRemoveRequest, etcdserverpb::MemberRemoveResponse>
      memberRemoveMethod;
  FakeMethod<etcdserverpb::MemberUpdateRequest, etcdserverpb::MemberUpdateResponse>
      memberUpdateMethod;
  FakeMethod<etcdserverpb::MemberPromoteRequest, etcdserverpb::MemberPromoteResponse>
      memberPromoteMethod;
};

class FakeMaintenance final : public Maintenance {
 public:
  void status(const RequestContext& ctx, const etcdserverpb::StatusRequest& req,
              Done<etcdserverpb::StatusResponse> done) override {
    statusMethod.call(ctx, req, std::move(done));
  }
  void defragment(const RequestContext& ctx, const etcdserverpb::DefragmentRequest& req,
                  Done<etcdserverpb::DefragmentResponse> done) override {
    defragmentMethod.call(ctx, req, std::move(done));
  }
  void alarm(const RequestContext& ctx, const etcdserverpb::AlarmRequest& req,
             Done<etcdserverpb::AlarmResponse> done) override {
    alarmMethod.call(ctx, req, std::move(done));
  }
  void hash(const RequestContext& ctx, const etcdserverpb::HashRequest& req,
            Done<etcdserverpb::HashResponse> done) override {
    hashMethod.call(ctx, req, std::move(done));
  }
  void hashKv(const RequestContext& ctx, const etcdserverpb::HashKVRequest& req,
              Done<etcdserverpb::HashKVResponse> done) override {
    hashKvMethod.call(ctx, req, std::move(done));
  }
  void moveLeader(const RequestContext& ctx, const etcdserverpb::MoveLeaderRequest& req,
                  Done<etcdserverpb::MoveLeaderResponse> done) override {
    moveLeaderMethod.call(ctx, req, std::move(done));
  }
  std::unique_ptr<StreamCall> snapshot(const RequestContext& ctx,
                                       std::function<void()> onReady) override {
    return snapshots.open(ctx, std::move(onReady));
  }

  FakeMethod<etcdserverpb::StatusRequest, etcdserverpb::StatusResponse> statusMethod;
  FakeMethod<etcdserverpb::DefragmentRequest, etcdserverpb::DefragmentResponse> defragmentMethod;
  FakeMethod<etcdserverpb::AlarmRequest, etcdserverpb::AlarmResponse> alarmMethod;
  FakeMethod<etcdserverpb::HashRequest, etcdserverpb::HashResponse> hashMethod;
  FakeMethod<etcdserverpb::HashKVRequest, etcdserverpb::HashKVResponse> hashKvMethod;
  FakeMethod<etcdserverpb::MoveLeaderRequest, etcdserverpb::MoveLeaderResponse> moveLeaderMethod;
  FakeStreams snapshots;
};

// Subscriptions are accepted and never fire: api-grpc follows no events.
class FakeEvents final : public Events {
 public:
  std::unique_ptr<Subscription> subscribeApplied(AppliedFn) override {
    return std::make_unique<Subscription>();
  }
  std::unique_ptr<Subscription> subscribeLeadership(LeadershipFn fn) override {
    Leadership self;
    self.leaderId = 10276657743932975437ull;
    self.term = 2;
    self.isLeader = true;
    fn(self);
    return std::make_unique<Subscription>();
  }
};

// A registry that keeps values; rendering is not needed by these tests.
class FakeMetrics final : public Metrics {
 public:
  Counter* counter(const std::string& name, const std::string&,
                   const MetricLabels& labels = {}) override {
    return slot(counters_, name, labels);
  }
  Gauge* gauge(const std::string& name, const std::string&,
               const MetricLabels& labels = {}) override {
    return slot(gauges_, name, labels);
  }
  Histogram* histogram(const std::string& name, const std::string&, const std::vector<double>&,
                       const MetricLabels& labels = {}) override {
    return slot(histograms_, name, labels);
  }
  void gaugeFunction(const std::string&, const std::string&, std::function<double()>,
                     const MetricLabels& = {}) override {}
  std::string render() const override { return {}; }
  void counterFunction(const std::string&, const std::string&, std::function<double()>,
                       const MetricLabels& = {}) override {}

 private:
  struct Value final : Counter, Gauge, Histogram {
    void inc(double by) override { v += by; }
    void set(double x) override { v = x; }
    void add(double by) override { v += by; }
    void observe(double x) override { v += x; }
    double value() const override { return v; }
    std::atomic<double> v{0};
  };
  using Family = std::map<std::pair<std::string, MetricLabels>, std::unique_ptr<Value>>;
  Value* slot(Family& family, const std::string& name, const MetricLabels& labels) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& value = family[{name, labels}];
    if (!value) value = std::make_unique<Value>();
    return value.get();
  }
  std::mutex mu_;
  Family counters_;    // guarded by mu_
  Family gauges_;      // guarded by mu_
  Family histograms_;  // guarded by mu_
};

// Spelled out at call sites whose only flag is two string literals: a bare
// {{"a", "b"}} would also read as a map built from a [const char*) range.
using Flags = std::map<std::string, std::string>;

// The member's settings as the kernel offers them: every flag of the
// kernel's flag table with its default, `flags` overriding, read with the
// kernel's own parsers (so the defaults are etcd's, from one place).
class FakeSettings final : public Settings {
 public:
  explicit FakeSettings(Flags flags) : flags_(std::move(flags)) {}

  std::optional<std::string> raw(std::string_view flag) const override {
    const config::FlagSpec* spec = config::findFlag(flag);
    if (spec == nullptr) return std::nullopt;
    if (auto it = flags_.find(std::string(flag)); it != flags_.end()) return it->second;
    return std::string(spec->defaultValue);
  }
  Status boolean(std::string_view flag, bool* out) const override {
    return read(flag, {config::FlagKind::Bool},
                [&](const std::string& text) { return config::parseGoBool(text, out); });
  }
  Status uint64(std::string_view flag, uint64_t* out) const override {
    return read(
        flag, {config::FlagKind::Uint, config::FlagKind::Uint32}, [&](const std::string& text) {
          const int bits = config::findFlag(flag)->kind == config::FlagKind::Uint32 ? 32 : 64;
          return config::parseGoUint(text, bits, out);
        });
  }
  Status int64(std::string_view flag, int64_t* out) const override {
    return read(flag, {config::FlagKind::Int},
                [&](const std::string& text) { return config::parseGoInt(text, 64, out); });
  }
  Status duration(std::string_view flag, std::chrono::nanoseconds* out) const override {
    return read(flag, {config::FlagKind::Duration}, [&](const std::string& text) {
      int64_t nanos = 0;
      std::string err = config::parseGoDuration(text, &nanos);
      *out = std::chrono::nanoseconds(nanos);
      return err;
    });
  }
  Status urls(std::string_view flag, std::vector<Url>* out) const override {
    return read(flag, {config::FlagKind::Urls}, [&](const std::string& text) {
      std::vector<config::Url> parsed;
      out->clear();
      // As the kernel's FlagSettings: an empty list (an unset
      // --listen-metrics-urls) is valid.
      if (text.empty()) return std::string();
      std::string err = config::parseUrlList(text, &parsed);
      for (const config::Url& u : parsed) out->push_back(Url{u.scheme, u.host, u.port, u.raw});
      return err;
    });
  }
  Status list(std::string_view flag, std::vector<std::string>* out) const override {
    return read(
        flag,
        {config::FlagKind::Strings, config::FlagKind::UniqueStrings, config::FlagKind::PluginList},
        [&](const std::string& text) {
          out->clear();
          size_t start = 0;
          while (start <= text.size() && !text.empty()) {
            const size_t comma = text.find(',', start);
            out->push_back(text.substr(start, comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
          }
          return std::string();
        });
  }

 private:
  template <typename Parse>
  Status read(std::string_view flag, std::initializer_list<config::FlagKind> kinds,
              Parse parse) const {
    const config::FlagSpec* spec = config::findFlag(flag);
    if (spec == nullptr) {
      return Status(StatusCode::NotFound, "unknown flag --" + std::string(flag));
    }
    if (std::find(kinds.begin(), kinds.end(), spec->kind) == kinds.end()) {
      return Status(StatusCode::InvalidArgument,
                    "flag --" + std::string(flag) + " is not read as this type");
    }
    const std::string text = *raw(flag);
    if (std::string err = parse(text); !err.empty()) {
      return Status(StatusCode::InvalidArgument,
                    "invalid value \"" + text + "\" for flag -" + std::string(flag) + ": " + err);
    }
    return Status::ok();
  }

  Flags flags_;
};

// Plugin services, added by the test before the server starts.
class FakeServiceRegistry final : public ServiceRegistry {
 public:
  void add(ServiceDef def) {
    std::string name = def.name;
    services_[name] = std::move(def);
  }
  const ServiceDef* find(const std::string& name) const override {
    auto it = services_.find(name);
    return it == services_.end() ? nullptr : &it->second;
  }
  std::vector<const ServiceDef*> all() const override {
    std::vector<const ServiceDef*> out;
    for (const auto& [_, def] : services_) out.push_back(&def);
    return out;
  }

 private:
  std::map<std::string, ServiceDef> services_;
};

class EmptyReadTxn final : public storage::ReadTxn {
 public:
  std::optional<std::string> get(std::string_view, std::string_view) override {
    return std::nullopt;
  }
  Status range(std::string_view, std::string_view, std::string_view, std::size_t, bool,
               const storage::KeyValueVisitor&) override {
    return Status::ok();
  }
};

// By default no listener owner and no connection handlers (api-grpc binds
// its URLs); tests of api-http set an "h2" handler. Set before start.
class FakeConnections final : public ConnectionRegistry {
 public:
  const ConnectionHandler* connectionHandler(std::string_view protocol) const override {
    return protocol == "h2" && h2 ? &h2 : nullptr;
  }
  bool listenersClaimed() const override { return claimed; }

  ConnectionHandler h2;
  bool claimed = false;
};

class FakeHost final : public Host {
 public:
  explicit FakeHost(Flags flags) : settings_(std::move(flags)) {}

  KvService& kv() override { return kv_; }
  LeaseService& lease() override { return lease_; }
  WatchService& watch() override { return watch_; }
  Cluster& cluster() override { return cluster_; }
  Maintenance& maintenance() override { return maintenance_; }
  Events& events() override { return events_; }
  Metrics& metrics() override { return metrics_; }
  const Settings& settings() const override { return settings_; }
  const ServiceRegistry& services() const override {
    return registryOverride_ != nullptr ? *registryOverride_ : services_;
  }
  const ConnectionRegistry& connections() const override { return connections_; }
  Logger& logger() override { return logger_; }
  // api-grpc proposes nothing: unless a test plays the kernel's proposal
  // path (setPropose), a proposal is a bug and fails loudly.
  using ProposeFn =
      std::function<void(const RequestContext&, const google::protobuf::Message&, MessageDone)>;
  void propose(const RequestContext& ctx, const google::protobuf::Message& command,
               MessageDone done) override {
    if (propose_) {
      propose_(ctx, command, std::move(done));
      return;
    }
    done(Status(StatusCode::Internal, "fake kernel: api-grpc proposes nothing"), nullptr);
  }
  // No plugin buckets unless a test provides a backend's reads (setRead).
  std::unique_ptr<storage::ReadTxn> read() override {
    if (read_) return read_();
    return std::make_unique<EmptyReadTxn>();
  }

  // For tests of service plugins; set before start.
  void setPropose(ProposeFn fn) { propose_ = std::move(fn); }
  void setRead(std::function<std::unique_ptr<storage::ReadTxn>()> fn) { read_ = std::move(fn); }
  void setServices(const ServiceRegistry* registry) { registryOverride_ = registry; }

  FakeKv& fakeKv() { return kv_; }
  FakeLease& fakeLease() { return lease_; }
  FakeWatch& fakeWatch() { return watch_; }
  FakeCluster& fakeCluster() { return cluster_; }
  FakeMaintenance& fakeMaintenance() { return maintenance_; }
  FakeServiceRegistry& registry() { return services_; }
  FakeConnections& fakeConnections() { return connections_; }
  CapturingLogger& capturedLog() { return logger_; }

 private:
  FakeSettings settings_;
  FakeKv kv_;
  FakeLease lease_;
  FakeWatch watch_;
  FakeCluster cluster_;
  FakeMaintenance maintenance_;
  FakeEvents events_;
  FakeMetrics metrics_;
  FakeServiceRegistry services_;
  FakeConnections connections_;
  CapturingLogger logger_;
  ProposeFn propose_;
  std::function<std::unique_ptr<storage::ReadTxn>()> read_;
  const ServiceRegistry* registryOverride_ = nullptr;
};

}  // namespace cairn::api::test
