#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace cairn::bench {

enum class WorkloadKind { kPut, kRange, kTxn, kMixed };

// The request a workload asks for next.
enum class OpKind { kPut, kRange, kTxn };

std::optional<WorkloadKind> parseWorkloadKind(std::string_view name);
std::string_view workloadName(WorkloadKind kind);

// Picks operations and keys. Stateless apart from the caller's generator, so
// every polling thread can share one instance.
class Workload {
 public:
  Workload(WorkloadKind kind, std::int64_t keySpace, int keySize, double readRatio);

  OpKind nextOp(std::mt19937_64& rng) const;
  std::int64_t nextKeyIndex(std::mt19937_64& rng) const;

  // Key `index` rendered as a zero-padded decimal of exactly keySize bytes,
  // so every key has the requested size and keys sort in index order.
  std::string keyFor(std::int64_t index) const;

  // Fewest key bytes that can spell every index below keySpace.
  static int minKeySize(std::int64_t keySpace);

  WorkloadKind kind() const { return kind_; }
  std::int64_t keySpace() const { return keySpace_; }

 private:
  WorkloadKind kind_;
  std::int64_t keySpace_;
  int keySize_;
  double readRatio_;
};

// A printable random value of `size` bytes; one per thread is reused for
// every put because value content does not affect either server's cost.
std::string makeValue(int size, std::mt19937_64& rng);

}  // namespace cairn::bench
