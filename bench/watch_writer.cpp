#include "watch_writer.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "grpc_status_name.h"

namespace cairn::bench {

bool WriteOutcome::changed(const WriteSpec& spec) const {
  if (!done) return false;
  for (std::size_t i = 0; i < spec.ops.size(); ++i) {
    if (spec.ops[i].kind == WriteOp::Kind::kPut || deleted[i] > 0) return true;
  }
  return false;
}

WatchWriter::WatchWriter(const WatchOptions& options, const RunClock& clock,
                         const std::vector<std::shared_ptr<grpc::Channel>>& channels)
    : options_(options), clock_(clock) {
  for (const auto& channel : channels) stubs_.push_back(etcdserverpb::KV::NewStub(channel));
}

bool WatchWriter::clearPrefix(const std::string& prefix, std::int64_t* revision,
                              std::string* error) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.rpcTimeout);
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(prefix);
  req.set_range_end(prefixRangeEnd(prefix));
  etcdserverpb::DeleteRangeResponse resp;
  grpc::Status status = stubs_[0]->DeleteRange(&ctx, req, &resp);
  if (!status.ok()) {
    *error = "deleting the prefix failed: " + describeStatus(status);
    return false;
  }
  *revision = resp.header().revision();
  return true;
}

grpc::Status WatchWriter::issue(etcdserverpb::KV::Stub& stub, const WriteSpec& spec,
                                WriteOutcome& out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.rpcTimeout);
  out.deleted.assign(spec.ops.size(), -1);
  grpc::Status status;
  if (spec.txn) {
    etcdserverpb::TxnRequest req;
    for (const auto& op : spec.ops) {
      auto* r = req.add_success();
      if (op.kind == WriteOp::Kind::kPut) {
        r->mutable_request_put()->set_key(op.key);
        r->mutable_request_put()->set_value(op.value);
      } else {
        r->mutable_request_delete_range()->set_key(op.key);
        r->mutable_request_delete_range()->set_range_end(op.rangeEnd);
      }
    }
    etcdserverpb::TxnResponse resp;
    out.sentMicros = clock_.micros();
    status = stub.Txn(&ctx, req, &resp);
    out.ackMicros = clock_.micros();
    if (!status.ok()) return status;
    if (!resp.succeeded() || resp.responses_size() != static_cast<int>(spec.ops.size())) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "txn without compares did not run its success ops");
    }
    for (std::size_t i = 0; i < spec.ops.size(); ++i) {
      if (spec.ops[i].kind == WriteOp::Kind::kDelete) {
        out.deleted[i] = resp.responses(static_cast<int>(i)).response_delete_range().deleted();
      }
    }
    out.revision = resp.header().revision();
  } else if (spec.ops[0].kind == WriteOp::Kind::kPut) {
    etcdserverpb::PutRequest req;
    req.set_key(spec.ops[0].key);
    req.set_value(spec.ops[0].value);
    etcdserverpb::PutResponse resp;
    out.sentMicros = clock_.micros();
    status = stub.Put(&ctx, req, &resp);
    out.ackMicros = clock_.micros();
    if (!status.ok()) return status;
    out.revision = resp.header().revision();
  } else {
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(spec.ops[0].key);
    req.set_range_end(spec.ops[0].rangeEnd);
    etcdserverpb::DeleteRangeResponse resp;
    out.sentMicros = clock_.micros();
    status = stub.DeleteRange(&ctx, req, &resp);
    out.ackMicros = clock_.micros();
    if (!status.ok()) return status;
    out.deleted[0] = resp.deleted();
    out.revision = resp.header().revision();
  }
  out.done = true;
  return status;
}

bool WatchWriter::run(const std::vector<WriteSpec>& writes, std::size_t first, std::size_t last,
                      double rate, std::vector<WriteOutcome>& outcomes, std::string* error) {
  std::atomic<std::size_t> next{first};  // shared by the writer threads
  std::atomic<bool> failed{false};       // shared by the writer threads
  std::mutex errorMutex;
  std::string firstError;  // guarded by errorMutex
  auto start = RunClock::Clock::now();
  auto worker = [&](std::size_t w) {
    auto& stub = *stubs_[w % stubs_.size()];
    while (!failed.load(std::memory_order_relaxed)) {
      std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= last) return;
      if (rate > 0) {
        auto offset = std::chrono::duration<double>(static_cast<double>(i - first) / rate);
        std::this_thread::sleep_until(
            start + std::chrono::duration_cast<RunClock::Clock::duration>(offset));
      }
      grpc::Status status = issue(stub, writes[i], outcomes[i]);
      if (!status.ok()) {
        failed.store(true);
        std::lock_guard<std::mutex> lock(errorMutex);
        if (firstError.empty()) {
          firstError = "write " + std::to_string(i) + " failed: " + describeStatus(status);
        }
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(options_.writers), last - first);
  for (std::size_t w = 0; w < n; ++w) threads.emplace_back(worker, w);
  for (auto& t : threads) t.join();
  if (failed.load()) {
    *error = firstError;
    return false;
  }
  return true;
}

}  // namespace cairn::bench
