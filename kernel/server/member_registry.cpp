#include "member_registry.h"

#include "member_ids.h"

namespace cairn::server {

Status MemberRegistry::load(storage::ReadTxn& read) {
  std::map<uint64_t, etcdserverpb::Member> loaded;
  Status bad = Status::ok();
  Status st = read.range(
      storage::kMembersBucket, "", "", 0, false, [&](std::string_view key, std::string_view value) {
        etcdserverpb::Member m;
        if (!m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = Status(StatusCode::DataLoss,
                       "members bucket: cannot parse the record of member " + std::string(key));
          return false;
        }
        loaded[m.id()] = std::move(m);
        return true;
      });
  if (!st) return st;
  if (!bad) return bad;
  std::lock_guard lk(mu_);
  members_ = std::move(loaded);
  return Status::ok();
}

void MemberRegistry::store(const etcdserverpb::Member& m, storage::WriteBatch* batch) {
  batch->put(storage::kMembersBucket, idToHex(m.id()), m.SerializeAsString());
}

void MemberRegistry::add(const etcdserverpb::Member& member, storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  etcdserverpb::Member& m = members_[member.id()];
  // A re-applied add keeps what the member published since.
  m.set_id(member.id());
  m.mutable_peerurls()->CopyFrom(member.peerurls());
  m.set_islearner(member.islearner());
  store(m, batch);
}

void MemberRegistry::remove(uint64_t id, storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  members_.erase(id);
  batch->del(storage::kMembersBucket, idToHex(id));
}

bool MemberRegistry::setAttributes(uint64_t id, const std::string& name,
                                   const std::vector<std::string>& clientUrls,
                                   storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  auto it = members_.find(id);
  if (it == members_.end()) return false;
  it->second.set_name(name);
  it->second.clear_clienturls();
  for (const auto& u : clientUrls) it->second.add_clienturls(u);
  store(it->second, batch);
  return true;
}

std::optional<etcdserverpb::Member> MemberRegistry::find(uint64_t id) const {
  std::lock_guard lk(mu_);
  auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

std::vector<etcdserverpb::Member> MemberRegistry::all() const {
  std::lock_guard lk(mu_);
  std::vector<etcdserverpb::Member> out;
  for (const auto& [id, m] : members_) out.push_back(m);
  return out;
}

}  // namespace cairn::server
