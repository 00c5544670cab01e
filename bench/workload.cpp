#include "workload.h"

#include <algorithm>

namespace cairn::bench {

std::optional<WorkloadKind> parseWorkloadKind(std::string_view name) {
  if (name == "put") return WorkloadKind::kPut;
  if (name == "range") return WorkloadKind::kRange;
  if (name == "txn") return WorkloadKind::kTxn;
  if (name == "mixed") return WorkloadKind::kMixed;
  return std::nullopt;
}

std::string_view workloadName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kPut:
      return "put";
    case WorkloadKind::kRange:
      return "range";
    case WorkloadKind::kTxn:
      return "txn";
    case WorkloadKind::kMixed:
      return "mixed";
  }
  return "unknown";
}

Workload::Workload(WorkloadKind kind, std::int64_t keySpace, int keySize, double readRatio)
    : kind_(kind), keySpace_(keySpace), keySize_(keySize), readRatio_(readRatio) {}

OpKind Workload::nextOp(std::mt19937_64& rng) const {
  switch (kind_) {
    case WorkloadKind::kPut:
      return OpKind::kPut;
    case WorkloadKind::kRange:
      return OpKind::kRange;
    case WorkloadKind::kTxn:
      return OpKind::kTxn;
    case WorkloadKind::kMixed: {
      std::uniform_real_distribution<double> coin(0.0, 1.0);
      return coin(rng) < readRatio_ ? OpKind::kRange : OpKind::kPut;
    }
  }
  return OpKind::kPut;
}

std::int64_t Workload::nextKeyIndex(std::mt19937_64& rng) const {
  std::uniform_int_distribution<std::int64_t> pick(0, keySpace_ - 1);
  return pick(rng);
}

std::string Workload::keyFor(std::int64_t index) const {
  std::string digits = std::to_string(index);
  std::string key(static_cast<std::size_t>(keySize_) - digits.size(), '0');
  key += digits;
  return key;
}

int Workload::minKeySize(std::int64_t keySpace) {
  return static_cast<int>(std::to_string(std::max<std::int64_t>(keySpace - 1, 0)).size());
}

std::string makeValue(int size, std::mt19937_64& rng) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string value(static_cast<std::size_t>(size), 'x');
  for (char& c : value) c = kAlphabet[pick(rng)];
  return value;
}

}  // namespace cairn::bench
