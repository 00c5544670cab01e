#include "lease/lease_codec.h"

#include "leasepb/lease.pb.h"

namespace cairn::lease {

std::string leaseKey(int64_t id) {
  auto v = static_cast<uint64_t>(id);
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

void persist(const Lease& lease, storage::WriteBatch& batch) {
  leasepb::Lease pb;
  pb.set_id(lease.id);
  pb.set_ttl(lease.ttl);
  pb.set_remainingttl(lease.remainingTtl);
  batch.put(storage::kLeaseBucket, leaseKey(lease.id), pb.SerializeAsString());
}

void erase(int64_t id, storage::WriteBatch& batch) {
  batch.del(storage::kLeaseBucket, leaseKey(id));
}

Status decodeLease(std::string_view key, std::string_view value, Lease* out) {
  if (key.size() != 8) {
    return Status(StatusCode::DataLoss, "lease: bucket key is not an 8-byte lease id");
  }
  leasepb::Lease pb;
  if (!pb.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return Status(StatusCode::DataLoss, "lease: failed to unmarshal lease record");
  }
  *out = Lease{};
  out->id = pb.id();
  out->ttl = pb.ttl();
  out->remainingTtl = pb.remainingttl();
  return Status::ok();
}

}  // namespace cairn::lease
