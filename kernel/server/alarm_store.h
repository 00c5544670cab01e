// AlarmStore: the member's active alarms (etcd's v3alarm store): at most one
// alarm of each type per member, each an etcdserverpb::AlarmMember.
//
// Durable in the backend's "alarm" bucket as etcd keeps it (key: the
// serialized AlarmMember, value: empty), written in the same batch as the
// Alarm entry that changed it; loaded at start, so an alarm survives a
// restart and kill -9 (the WAL replays the entry if the batch was lost).
//
// Threads: changed by the apply loop only; read from any thread (the API
// services, /health, the apply chain). mu_ guards alarms_; the per-type
// flags are atomics so the hot path (every applied write) takes no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "cairn/status.h"
#include "cairn/storage.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {

class AlarmStore {
 public:
  // Replaces the alarms with the records of the alarm bucket.
  Status load(storage::ReadTxn& read);

  // Raises `type` for `memberId`. Returns the member's alarm of that type
  // (the existing one if it was active already) and whether it is new; a
  // new one is written to `batch`.
  std::pair<etcdserverpb::AlarmMember, bool> activate(uint64_t memberId,
                                                      etcdserverpb::AlarmType type,
                                                      storage::WriteBatch* batch);
  // Clears `type` for `memberId`; nullopt if it was not active. The removal
  // is written to `batch`.
  std::optional<etcdserverpb::AlarmMember> deactivate(uint64_t memberId,
                                                      etcdserverpb::AlarmType type,
                                                      storage::WriteBatch* batch);

  // The active alarms of `type` (every alarm for NONE), ordered by type then
  // member id.
  std::vector<etcdserverpb::AlarmMember> get(etcdserverpb::AlarmType type) const;
  // Whether any member has an alarm of `type` (NOSPACE or CORRUPT). Lock-free.
  bool active(etcdserverpb::AlarmType type) const;

 private:
  void refreshFlags();  // under mu_

  mutable std::mutex mu_;
  // (type, member id) -> the alarm; guarded by mu_.
  std::map<std::pair<int, uint64_t>, etcdserverpb::AlarmMember> alarms_;
  // Written under mu_, read without it.
  std::atomic<bool> noSpace_{false};
  std::atomic<bool> corrupt_{false};
};

}  // namespace cairn::server
