#include "alarm_applier.h"

#include <memory>

#include "backend_quota.h"
#include "cairn/errors.h"
#include "member_ids.h"
#include "mvcc/write_txn.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "etcdserver/apply.go";

// What applierV3Corrupt refuses.
bool refusedWhenCorrupt(const etcdserverpb::InternalRaftRequest& e) {
  return e.has_put() || e.has_delete_range() || e.has_txn() || e.has_compaction() ||
         e.has_lease_grant() || e.has_lease_revoke();
}

// What applierV3Capped refuses.
bool refusedWhenNoSpace(const etcdserverpb::InternalRaftRequest& e) {
  return e.has_put() || e.has_lease_grant() || (e.has_txn() && BackendQuota::cost(e.txn()) > 0);
}

std::string alarmFields(const etcdserverpb::AlarmMember& m) {
  return jsonField("alarm", etcdserverpb::AlarmType_Name(m.alarm())) + "," +
         jsonField("from", idToHex(m.memberid()));
}

}  // namespace

void AlarmApplier::apply(const ApplyRequest& req, ApplyOutcome* out) {
  if (req.entry.has_alarm()) {
    applyAlarm(req, out);
    return;
  }
  if (alarms_.active(etcdserverpb::CORRUPT) && refusedWhenCorrupt(req.entry)) {
    out->result.status = Status(Error::Corrupt);
    return;
  }
  if (alarms_.active(etcdserverpb::NOSPACE) && refusedWhenNoSpace(req.entry)) {
    out->result.status = Status(Error::NoSpace);
    return;
  }
  next_.apply(req, out);
}

void AlarmApplier::applyAlarm(const ApplyRequest& req, ApplyOutcome* out) {
  const etcdserverpb::AlarmRequest& ar = req.entry.alarm();
  auto resp = std::make_unique<etcdserverpb::AlarmResponse>();
  const std::size_t before = alarms_.get(ar.alarm()).size();
  switch (ar.action()) {
    case etcdserverpb::AlarmRequest::GET:
      for (auto& m : alarms_.get(ar.alarm())) *resp->add_alarms() = std::move(m);
      break;
    case etcdserverpb::AlarmRequest::ACTIVATE: {
      std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
      auto [m, added] = alarms_.activate(ar.memberid(), ar.alarm(), &txn->batch());
      if (Status st = txn->end(req.index); !st) {
        out->result.status = st;
        return;
      }
      *resp->add_alarms() = m;
      if (!added || before != 0) break;
      if (m.alarm() == etcdserverpb::NOSPACE || m.alarm() == etcdserverpb::CORRUPT) {
        logger_.warn(kCaller, "alarm raised", alarmFields(m));
      } else {
        logger_.warn(kCaller, "unimplemented alarm activation", alarmFields(m));
      }
      break;
    }
    case etcdserverpb::AlarmRequest::DEACTIVATE: {
      std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
      std::optional<etcdserverpb::AlarmMember> m =
          alarms_.deactivate(ar.memberid(), ar.alarm(), &txn->batch());
      if (Status st = txn->end(req.index); !st) {
        out->result.status = st;
        return;
      }
      if (!m) break;
      *resp->add_alarms() = *m;
      if (before == 0 || !alarms_.get(ar.alarm()).empty()) break;
      if (m->alarm() == etcdserverpb::NOSPACE || m->alarm() == etcdserverpb::CORRUPT) {
        logger_.info(kCaller, "alarm disarmed", alarmFields(*m));
      } else {
        logger_.warn(kCaller, "unimplemented alarm deactivation", alarmFields(*m));
      }
      break;
    }
    default:
      // etcd answers an unknown action with an empty response.
      break;
  }
  out->result.response = std::move(resp);
}

}  // namespace cairn::server
