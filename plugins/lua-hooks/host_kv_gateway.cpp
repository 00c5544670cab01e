#include "host_kv_gateway.h"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace cairn::luahooks {
namespace {

// The answer of one Host call. Shared with the completion, which may run
// after a timed-out caller has gone (it then lands here unread).
template <typename Response>
struct Pending {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // guarded by mu
  Status status;      // guarded by mu
  Response response;  // guarded by mu
};

// Starts `call(done)` and waits for `done`.
template <typename Response, typename Call>
Status await(Call call, Response* out) {
  auto pending = std::make_shared<Pending<Response>>();
  call([pending](Status st, Response&& response) {
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->status = std::move(st);
      pending->response = std::move(response);
      pending->done = true;
    }
    pending->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(pending->mu);
  if (!pending->cv.wait_for(lock, HostKvGateway::kCallTimeout, [&] { return pending->done; })) {
    return Status(Error::Timeout);
  }
  if (pending->status) *out = std::move(pending->response);
  return pending->status;
}

}  // namespace

Status HostKvGateway::range(const etcdserverpb::RangeRequest& req,
                            etcdserverpb::RangeResponse* out) {
  return await<etcdserverpb::RangeResponse>(
      [&](Done<etcdserverpb::RangeResponse> done) {
        host_.kv().range(RequestContext::internal(), req, std::move(done));
      },
      out);
}

Status HostKvGateway::put(const etcdserverpb::PutRequest& req, etcdserverpb::PutResponse* out) {
  return await<etcdserverpb::PutResponse>(
      [&](Done<etcdserverpb::PutResponse> done) {
        host_.kv().put(RequestContext::internal(), req, std::move(done));
      },
      out);
}

Status HostKvGateway::deleteRange(const etcdserverpb::DeleteRangeRequest& req,
                                  etcdserverpb::DeleteRangeResponse* out) {
  return await<etcdserverpb::DeleteRangeResponse>(
      [&](Done<etcdserverpb::DeleteRangeResponse> done) {
        host_.kv().deleteRange(RequestContext::internal(), req, std::move(done));
      },
      out);
}

Status HostKvGateway::txn(const etcdserverpb::TxnRequest& req, etcdserverpb::TxnResponse* out) {
  return await<etcdserverpb::TxnResponse>(
      [&](Done<etcdserverpb::TxnResponse> done) {
        host_.kv().txn(RequestContext::internal(), req, std::move(done));
      },
      out);
}

Status HostKvGateway::leaseGrant(const etcdserverpb::LeaseGrantRequest& req,
                                 etcdserverpb::LeaseGrantResponse* out) {
  return await<etcdserverpb::LeaseGrantResponse>(
      [&](Done<etcdserverpb::LeaseGrantResponse> done) {
        host_.lease().grant(RequestContext::internal(), req, std::move(done));
      },
      out);
}

}  // namespace cairn::luahooks
