#include "load_runner.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "grpc_status_name.h"

namespace cairn::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Hands out request sequence numbers until the cap or the deadline.
class Budget {
 public:
  Budget(std::int64_t total, Clock::time_point deadline) : total_(total), deadline_(deadline) {}

  bool acquire(std::int64_t* seq) {
    if (Clock::now() >= deadline_) {
      stoppedByTime_.store(true, std::memory_order_relaxed);
      return false;
    }
    std::int64_t n = next_.fetch_add(1, std::memory_order_relaxed);
    if (n >= total_) return false;
    *seq = n;
    return true;
  }

  bool stoppedByTime() const { return stoppedByTime_.load(std::memory_order_relaxed); }

 private:
  const std::int64_t total_;
  const Clock::time_point deadline_;
  std::atomic<std::int64_t> next_{0};       // shared by all polling threads
  std::atomic<bool> stoppedByTime_{false};  // shared by all polling threads
};

// One closed-loop request slot. Only the polling thread that owns its
// completion queue touches it.
struct Chain {
  etcdserverpb::KV::Stub* stub = nullptr;
  OpKind op = OpKind::kPut;
  std::int64_t keyIndex = 0;
  Clock::time_point start;
  grpc::Status status;
  etcdserverpb::PutRequest putRequest;
  etcdserverpb::PutResponse putResponse;
  etcdserverpb::RangeRequest rangeRequest;
  etcdserverpb::RangeResponse rangeResponse;
  etcdserverpb::TxnRequest txnRequest;
  etcdserverpb::TxnResponse txnResponse;
  // Declared before the readers so it is destroyed after them: the readers
  // live in the call's arena, which the context releases.
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> putReader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> rangeReader;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> txnReader;

  void release() {
    putReader.reset();
    rangeReader.reset();
    txnReader.reset();
    context.reset();
  }
};

// One polling thread: a completion queue and the chains bound to it.
class Poller {
 public:
  Poller(const BenchOptions& options, const Workload& workload, Budget& budget, bool prefill,
         std::atomic<std::int64_t>* hints, std::uint64_t seed)
      : options_(options),
        workload_(workload),
        budget_(budget),
        prefill_(prefill),
        hints_(hints),
        rng_(seed) {
    value_ = makeValue(options.valSize, rng_);
  }

  void addChain(etcdserverpb::KV::Stub* stub) {
    chains_.push_back(std::make_unique<Chain>());
    chains_.back()->stub = stub;
  }

  void reserve(std::size_t samples) { latencies_.reserve(samples); }

  void run() {
    std::size_t inFlight = 0;
    for (auto& chain : chains_) {
      if (issue(*chain)) ++inFlight;
    }
    while (inFlight > 0) {
      void* tag = nullptr;
      bool ok = false;
      if (!cq_.Next(&tag, &ok)) break;  // cannot happen before Shutdown()
      auto* chain = static_cast<Chain*>(tag);
      complete(*chain);
      if (!issue(*chain)) --inFlight;
    }
    for (auto& chain : chains_) chain->release();
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  std::vector<std::uint32_t>& latencies() { return latencies_; }
  const PhaseResult& counts() const { return counts_; }

 private:
  bool issue(Chain& c) {
    std::int64_t seq = 0;
    if (!budget_.acquire(&seq)) return false;
    c.release();
    if (prefill_) {
      c.op = OpKind::kPut;
      c.keyIndex = seq;
    } else {
      c.op = workload_.nextOp(rng_);
      c.keyIndex = workload_.nextKeyIndex(rng_);
    }
    std::string key = workload_.keyFor(c.keyIndex);
    c.context = std::make_unique<grpc::ClientContext>();
    c.status = grpc::Status();
    switch (c.op) {
      case OpKind::kPut:
        c.putRequest.set_key(key);
        c.putRequest.set_value(value_);
        break;
      case OpKind::kRange:
        c.rangeRequest.set_key(key);
        c.rangeRequest.set_serializable(options_.serializable);
        break;
      case OpKind::kTxn:
        buildCompareAndPut(c, key);
        break;
    }
    c.start = Clock::now();
    // gRPC deadlines take system_clock time points only.
    c.context->set_deadline(std::chrono::system_clock::now() + options_.rpcTimeout);
    switch (c.op) {
      case OpKind::kPut:
        c.putReader = c.stub->AsyncPut(c.context.get(), c.putRequest, &cq_);
        c.putReader->Finish(&c.putResponse, &c.status, &c);
        break;
      case OpKind::kRange:
        c.rangeReader = c.stub->AsyncRange(c.context.get(), c.rangeRequest, &cq_);
        c.rangeReader->Finish(&c.rangeResponse, &c.status, &c);
        break;
      case OpKind::kTxn:
        c.txnReader = c.stub->AsyncTxn(c.context.get(), c.txnRequest, &cq_);
        c.txnReader->Finish(&c.txnResponse, &c.status, &c);
        break;
    }
    return true;
  }

  // if mod_revision(key) == last seen then put(key) else range(key): the
  // optimistic-concurrency loop clients build on etcd's Txn.
  void buildCompareAndPut(Chain& c, const std::string& key) {
    c.txnRequest.Clear();
    auto* cmp = c.txnRequest.add_compare();
    cmp->set_key(key);
    cmp->set_target(etcdserverpb::Compare::MOD);
    cmp->set_result(etcdserverpb::Compare::EQUAL);
    cmp->set_mod_revision(hints_[c.keyIndex].load(std::memory_order_relaxed));
    auto* put = c.txnRequest.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value_);
    c.txnRequest.add_failure()->mutable_request_range()->set_key(key);
  }

  void complete(Chain& c) {
    auto elapsed = Clock::now() - c.start;
    if (!c.status.ok()) {
      fail(statusCodeName(c.status.error_code()) + ": " + c.status.error_message());
      return;
    }
    if (c.op == OpKind::kTxn && !recordTxn(c)) return;
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    latencies_.push_back(static_cast<std::uint32_t>(micros));
    ++counts_.ops;
  }

  bool recordTxn(Chain& c) {
    const auto& resp = c.txnResponse;
    if (resp.succeeded()) {
      // The put is the txn's only write, so it carries the header revision.
      hints_[c.keyIndex].store(resp.header().revision(), std::memory_order_relaxed);
      ++counts_.txnSucceeded;
      return true;
    }
    if (resp.responses_size() != 1 || !resp.responses(0).has_response_range()) {
      fail("txn compare failed without the failure branch's range response");
      return false;
    }
    const auto& range = resp.responses(0).response_range();
    hints_[c.keyIndex].store(range.kvs_size() > 0 ? range.kvs(0).mod_revision() : 0,
                             std::memory_order_relaxed);
    ++counts_.txnFailed;
    return true;
  }

  void fail(std::string message) {
    ++counts_.errors;
    if (counts_.firstError.empty()) counts_.firstError = std::move(message);
  }

  const BenchOptions& options_;
  const Workload& workload_;
  Budget& budget_;
  const bool prefill_;
  std::atomic<std::int64_t>* hints_;
  std::mt19937_64 rng_;
  std::string value_;
  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<Chain>> chains_;
  std::vector<std::uint32_t> latencies_;
  PhaseResult counts_;
};

}  // namespace

LoadRunner::LoadRunner(const BenchOptions& options)
    : options_(options),
      workload_(options.workload, options.keySpace, options.keySize, options.readRatio),
      modRevisionHints_(new std::atomic<std::int64_t>[static_cast<std::size_t>(options.keySpace)]) {
  for (std::int64_t i = 0; i < options.keySpace; ++i) modRevisionHints_[i].store(0);
}

LoadRunner::~LoadRunner() = default;

bool LoadRunner::connect(std::string* reason) {
  auto deadline = std::chrono::system_clock::now() + options_.connectTimeout;
  for (int i = 0; i < options_.clients; ++i) {
    grpc::ChannelArguments args;
    // Without a local subchannel pool, channels with equal arguments share
    // one TCP connection; a distinct argument makes each client its own.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("cairn_bench.client", i);
    // Loopback traffic must never be routed through an http_proxy setting.
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
    auto channel =
        grpc::CreateCustomChannel(options_.endpoint, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(deadline)) {
      *reason = "could not connect to " + options_.endpoint + " within " +
                std::to_string(options_.connectTimeout.count()) + " ms";
      return false;
    }
    stubs_.push_back(etcdserverpb::KV::NewStub(channel));
  }
  return true;
}

PhaseResult LoadRunner::prefill() {
  return runPhase(PhaseMode::kPrefill, options_.keySpace, options_.duration);
}

PhaseResult LoadRunner::measure() {
  std::int64_t total = options_.totalGiven ? options_.total : INT64_MAX;
  return runPhase(PhaseMode::kWorkload, total, options_.duration);
}

PhaseResult LoadRunner::runPhase(PhaseMode mode, std::int64_t total,
                                 std::chrono::milliseconds limit) {
  int threads = std::min(options_.threads, options_.concurrency);
  auto start = Clock::now();
  Budget budget(total, start + limit);
  std::vector<std::unique_ptr<Poller>> pollers;
  for (int t = 0; t < threads; ++t) {
    pollers.push_back(std::make_unique<Poller>(options_, workload_, budget,
                                               mode == PhaseMode::kPrefill, modRevisionHints_.get(),
                                               options_.seed * 1000003 + static_cast<unsigned>(t)));
    if (total != INT64_MAX) pollers.back()->reserve(static_cast<std::size_t>(total / threads + 1));
  }
  for (int i = 0; i < options_.concurrency; ++i) {
    pollers[static_cast<std::size_t>(i % threads)]->addChain(
        stubs_[static_cast<std::size_t>(i % options_.clients)].get());
  }

  std::vector<std::thread> workers;
  for (auto& poller : pollers) workers.emplace_back([p = poller.get()] { p->run(); });
  for (auto& worker : workers) worker.join();
  auto end = Clock::now();

  PhaseResult result;
  std::vector<std::uint32_t> all;
  for (auto& poller : pollers) {
    const auto& c = poller->counts();
    result.ops += c.ops;
    result.errors += c.errors;
    result.txnSucceeded += c.txnSucceeded;
    result.txnFailed += c.txnFailed;
    if (result.firstError.empty()) result.firstError = c.firstError;
    all.insert(all.end(), poller->latencies().begin(), poller->latencies().end());
  }
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.stoppedByTime = budget.stoppedByTime();
  result.latency = LatencySummary::fromMicros(all);
  return result;
}

}  // namespace cairn::bench
