#include "watch_event_digest.h"

namespace cairn::bench {

namespace {

constexpr std::uint64_t kOffset = 14695981039346656037ull;
constexpr std::uint64_t kPrime = 1099511628211ull;

void mix(std::uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kPrime;
  }
}

void mixInt(std::uint64_t& h, std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) {
    h ^= (u >> (8 * i)) & 0xff;
    h *= kPrime;
  }
}

}  // namespace

std::uint64_t kvDigest(std::string_view key, std::int64_t createRevision, std::int64_t modRevision,
                       std::int64_t version, std::string_view value, std::int64_t lease) {
  std::uint64_t h = kOffset;
  // Lengths first, so field boundaries cannot shift between key and value.
  mixInt(h, static_cast<std::int64_t>(key.size()));
  mix(h, key);
  mixInt(h, createRevision);
  mixInt(h, modRevision);
  mixInt(h, version);
  mixInt(h, static_cast<std::int64_t>(value.size()));
  mix(h, value);
  mixInt(h, lease);
  return h;
}

std::uint64_t kvDigest(const mvccpb::KeyValue& kv) {
  return kvDigest(kv.key(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.value(),
                  kv.lease());
}

}  // namespace cairn::bench
