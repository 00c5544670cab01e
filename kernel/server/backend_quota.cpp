#include "backend_quota.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {
namespace {

// etcd's estimates (etcdserver/quota.go).
constexpr int64_t kKvOverhead = 256;
constexpr int64_t kLeaseOverhead = 64;
constexpr int64_t kSampleIntervalNs = 100'000'000;

int64_t costPut(const etcdserverpb::PutRequest& r) {
  return kKvOverhead + static_cast<int64_t>(r.key().size() + r.value().size());
}

int64_t costOps(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) {
  int64_t total = 0;
  // etcd counts the puts of the branch only, not those of nested txns.
  for (const auto& op : ops) {
    if (op.has_request_put()) total += costPut(op.request_put());
  }
  return total;
}

// go-humanize's Bytes: SI units, one decimal below 10 ("2.1 GB", "16 MB").
std::string humanBytes(int64_t n) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  if (n < 10) return std::to_string(n) + " B";
  double v = static_cast<double>(n);
  int unit = 0;
  while (v >= 1000 && unit < 6) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[unit]);
  return buf;
}

}  // namespace

BackendQuota::BackendQuota(int64_t configuredBytes, std::function<uint64_t()> backendSize)
    : maxBytes_(configuredBytes < 0    ? 0
                : configuredBytes == 0 ? kDefaultBytes
                                       : configuredBytes),
      size_(std::move(backendSize)) {}

int64_t BackendQuota::cost(const google::protobuf::Message& request) {
  // Looked up once: each descriptor() call goes through protobuf's lazy
  // registration, and this runs for every write.
  static const google::protobuf::Descriptor* const kPut = etcdserverpb::PutRequest::descriptor();
  static const google::protobuf::Descriptor* const kTxn = etcdserverpb::TxnRequest::descriptor();
  static const google::protobuf::Descriptor* const kLeaseGrant =
      etcdserverpb::LeaseGrantRequest::descriptor();
  const google::protobuf::Descriptor* d = request.GetDescriptor();
  if (d == kPut) return costPut(static_cast<const etcdserverpb::PutRequest&>(request));
  if (d == kTxn) {
    const auto& txn = static_cast<const etcdserverpb::TxnRequest&>(request);
    return std::max(costOps(txn.success()), costOps(txn.failure()));
  }
  if (d == kLeaseGrant) return kLeaseOverhead;
  return 0;
}

bool BackendQuota::available(const google::protobuf::Message& request) const {
  if (!enabled()) return true;
  const int64_t c = cost(request);
  if (c == 0) return true;
  return backendSize() + c < maxBytes_;
}

int64_t BackendQuota::backendSize() const {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  const int64_t at = sampledAtNs_.load();
  if (at == 0 || now - at >= kSampleIntervalNs) {
    // Reset before measuring: the writes committed from here on are counted
    // in the sample too if they land before it is read (twice: safe).
    committed_ = 0;
    sampledSize_ = static_cast<int64_t>(size_());
    sampledAtNs_ = now;
  }
  return sampledSize_.load() + committed_.load() + pending_.load();
}

void BackendQuota::charge(const google::protobuf::Message& request) {
  if (!enabled()) return;
  if (const int64_t c = cost(request); c > 0) pending_ += c;
}

void BackendQuota::committed() {
  // Moved once the writes are in the backend: a sample taken while they
  // were still pending cannot have reset them.
  if (const int64_t c = pending_.exchange(0); c > 0) committed_ += c;
}

void BackendQuota::logConfiguration(Logger& logger, int64_t configuredBytes) const {
  constexpr const char* kCaller = "etcdserver/quota.go";
  const std::string name = jsonField("quota-name", "v3-applier");
  if (!enabled()) {
    logger.info(
        kCaller, "disabled backend quota",
        name + "," + jsonField("quota-size-bytes", static_cast<long long>(configuredBytes)));
    return;
  }
  if (configuredBytes == 0) {
    logger.info(kCaller, "enabled backend quota with default value",
                name + "," + jsonField("quota-size-bytes", static_cast<long long>(maxBytes_)) +
                    "," + jsonField("quota-size", humanBytes(maxBytes_)));
    return;
  }
  if (maxBytes_ > kMaxBytes) {
    logger.warn(kCaller, "quota exceeds the maximum value",
                name + "," + jsonField("quota-size-bytes", static_cast<long long>(maxBytes_)) +
                    "," + jsonField("quota-size", humanBytes(maxBytes_)) + "," +
                    jsonField("quota-maximum-size-bytes", static_cast<long long>(kMaxBytes)) + "," +
                    jsonField("quota-maximum-size", humanBytes(kMaxBytes)));
  }
  logger.info(kCaller, "enabled backend quota",
              name + "," + jsonField("quota-size-bytes", static_cast<long long>(maxBytes_)) + "," +
                  jsonField("quota-size", humanBytes(maxBytes_)));
}

}  // namespace cairn::server
