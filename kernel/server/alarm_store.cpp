#include "alarm_store.h"

namespace cairn::server {
namespace {

std::string recordKey(const etcdserverpb::AlarmMember& m) {
  // etcd's key: the marshalled AlarmMember. Both fields are varints, so
  // protobuf's deterministic encoding is the same bytes gogoproto writes.
  return m.SerializeAsString();
}

}  // namespace

Status AlarmStore::load(storage::ReadTxn& read) {
  std::map<std::pair<int, uint64_t>, etcdserverpb::AlarmMember> loaded;
  Status bad = Status::ok();
  Status st = read.range(
      storage::kAlarmBucket, "", "", 0, false, [&](std::string_view key, std::string_view) {
        etcdserverpb::AlarmMember m;
        if (!m.ParseFromArray(key.data(), static_cast<int>(key.size()))) {
          bad = Status(StatusCode::DataLoss, "alarm bucket: cannot parse an alarm record");
          return false;
        }
        loaded[{static_cast<int>(m.alarm()), m.memberid()}] = m;
        return true;
      });
  if (!st) return st;
  if (!bad) return bad;
  std::lock_guard lk(mu_);
  alarms_ = std::move(loaded);
  refreshFlags();
  return Status::ok();
}

std::pair<etcdserverpb::AlarmMember, bool> AlarmStore::activate(uint64_t memberId,
                                                                etcdserverpb::AlarmType type,
                                                                storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  auto [it, added] = alarms_.try_emplace({static_cast<int>(type), memberId});
  if (added) {
    it->second.set_memberid(memberId);
    it->second.set_alarm(type);
    batch->put(storage::kAlarmBucket, recordKey(it->second), "");
    refreshFlags();
  }
  return {it->second, added};
}

std::optional<etcdserverpb::AlarmMember> AlarmStore::deactivate(uint64_t memberId,
                                                                etcdserverpb::AlarmType type,
                                                                storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  auto it = alarms_.find({static_cast<int>(type), memberId});
  if (it == alarms_.end()) return std::nullopt;
  etcdserverpb::AlarmMember m = std::move(it->second);
  alarms_.erase(it);
  batch->del(storage::kAlarmBucket, recordKey(m));
  refreshFlags();
  return m;
}

std::vector<etcdserverpb::AlarmMember> AlarmStore::get(etcdserverpb::AlarmType type) const {
  std::lock_guard lk(mu_);
  std::vector<etcdserverpb::AlarmMember> out;
  for (const auto& [key, m] : alarms_) {
    if (type == etcdserverpb::NONE || key.first == static_cast<int>(type)) out.push_back(m);
  }
  return out;
}

bool AlarmStore::active(etcdserverpb::AlarmType type) const {
  switch (type) {
    case etcdserverpb::NOSPACE:
      return noSpace_.load();
    case etcdserverpb::CORRUPT:
      return corrupt_.load();
    default:
      return !get(type).empty();
  }
}

void AlarmStore::refreshFlags() {
  bool noSpace = false;
  bool corrupt = false;
  for (const auto& [key, m] : alarms_) {
    noSpace = noSpace || m.alarm() == etcdserverpb::NOSPACE;
    corrupt = corrupt || m.alarm() == etcdserverpb::CORRUPT;
  }
  noSpace_ = noSpace;
  corrupt_ = corrupt;
}

}  // namespace cairn::server
