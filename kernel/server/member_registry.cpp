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
  std::set<uint64_t> removed, refused;
  auto collect = [&read](std::string_view bucket, std::set<uint64_t>* out) {
    return read.range(bucket, "", "", 0, false, [out](std::string_view key, std::string_view) {
      out->insert(std::stoull(std::string(key), nullptr, 16));
      return true;
    });
  };
  if (Status rst = collect(storage::kMembersRemovedBucket, &removed); !rst) return rst;
  if (Status rst = collect(storage::kConfChangesRefusedBucket, &refused); !rst) return rst;
  std::lock_guard lk(mu_);
  members_ = std::move(loaded);
  removed_ = std::move(removed);
  refused_ = std::move(refused);
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

void MemberRegistry::markRemoved(uint64_t id, storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  removed_.insert(id);
  batch->put(storage::kMembersRemovedBucket, idToHex(id), "removed");
}

bool MemberRegistry::isRemoved(uint64_t id) const {
  std::lock_guard lk(mu_);
  return removed_.count(id) != 0;
}

void MemberRegistry::markRefused(uint64_t index, storage::WriteBatch* batch) {
  std::lock_guard lk(mu_);
  refused_.insert(index);
  batch->put(storage::kConfChangesRefusedBucket, idToHex(index), "refused");
}

bool MemberRegistry::wasRefused(uint64_t index) const {
  std::lock_guard lk(mu_);
  return refused_.count(index) != 0;
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
