#include "quota_alarmer.h"

#include "cairn/errors.h"

namespace cairn::server {

void QuotaAlarmer::refuse(std::function<void(Status)> refused) {
  if (alarms_.active(etcdserverpb::NOSPACE)) {
    refused(Status(Error::NoSpace));
    return;
  }
  raise([refused = std::move(refused)] { refused(Status(Error::NoSpace)); });
}

bool QuotaAlarmer::raiseAfterApply(std::function<void()>& answer) {
  if (alarms_.active(etcdserverpb::NOSPACE)) return false;
  logger_.warn("etcdserver/server.go", "message exceeded backend quota; raising alarm",
               jsonField("quota-size-bytes", static_cast<long long>(configuredBytes_)) + "," +
                   jsonField("error", Status(Error::NoSpace).message()));
  raise(std::move(answer));
  return true;
}

void QuotaAlarmer::raise(std::function<void()> then) {
  etcdserverpb::InternalRaftRequest ir;
  etcdserverpb::AlarmRequest* a = ir.mutable_alarm();
  a->set_memberid(memberId_);
  a->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
  a->set_alarm(etcdserverpb::NOSPACE);
  // Whatever becomes of the proposal, the request is answered NoSpace.
  raft_.propose(std::move(ir), [then = std::move(then)](ApplyResult&&) { then(); });
}

}  // namespace cairn::server
