#include "watch_plan.h"

#include <algorithm>
#include <charconv>
#include <random>
#include <set>

namespace cairn::bench {

namespace {

int digitsFor(std::int64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

std::string padded(std::int64_t index, int digits) {
  std::string s = std::to_string(index);
  if (static_cast<int>(s.size()) < digits) s.insert(0, digits - s.size(), '0');
  return s;
}

std::int64_t uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}

double unit(std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>(0, 1)(rng);
}

// A range [a, a+width) of watched keys, width up to 2% of the key space.
void pickRange(std::mt19937_64& rng, const WatchKeySpace& keys, WatcherSpec& w) {
  std::int64_t a = uniform(rng, 0, keys.keys() - 1);
  std::int64_t width = uniform(rng, 1, std::max<std::int64_t>(2, keys.keys() / 50));
  w.key = keys.key(a);
  w.rangeEnd = keys.key(std::min(a + width, keys.keys()));
}

WatcherSpec makeWatcher(std::mt19937_64& rng, const WatchOptions& o, const WatchKeySpace& keys,
                        bool slow) {
  WatcherSpec w;
  if (slow) {
    // Slow streams see every write with prev_kv: the backlog must outgrow
    // the HTTP/2 windows while the stream is not read.
    w.kind = "all";
    w.key = keys.prefix();
    w.rangeEnd = prefixRangeEnd(keys.prefix());
    w.prevKv = true;
    return w;
  }
  double r = unit(rng);
  if (r < 0.45) {
    w.kind = "key";
    w.key = keys.key(uniform(rng, 0, keys.keys() - 1));
  } else if (r < 0.70) {
    w.kind = "range";
    pickRange(rng, keys, w);
  } else if (r < 0.88) {
    // Dropping the last one or two digits covers 10 or 100 keys.
    w.kind = "prefix";
    std::string k = keys.key(uniform(rng, 0, keys.keys() - 1));
    int drop = std::min<int>(static_cast<int>(uniform(rng, 1, 2)), keys.digits());
    w.key = k.substr(0, k.size() - drop);
    w.rangeEnd = prefixRangeEnd(w.key);
  } else if (r < 0.92) {
    w.kind = "all";
    w.key = keys.prefix();
    w.rangeEnd = prefixRangeEnd(keys.prefix());
  } else if (r < 0.95) {
    w.kind = "from-key";
    w.key = keys.key(uniform(rng, 0, keys.keys() - 1));
    w.rangeEnd = std::string(1, '\0');
  } else {
    w.kind = "filtered";
    pickRange(rng, keys, w);
    if (unit(rng) < 0.5) {
      w.noPut = true;
    } else {
      w.noDelete = true;
    }
  }
  w.prevKv = unit(rng) < o.prevKvShare;
  if (unit(rng) < o.pastStartShare) w.pastStart = unit(rng);
  return w;
}

std::string makeValue(std::int64_t write, std::size_t op, int size) {
  // Unique per op so a value delivered for the wrong write is caught.
  std::string v = "w" + std::to_string(write) + "." + std::to_string(op) + ":";
  if (static_cast<int>(v.size()) < size) v.append(size - v.size(), 'x');
  return v;
}

WriteSpec makeWrite(std::mt19937_64& rng, const WatchKeySpace& keys, std::int64_t index,
                    int valSize) {
  WriteSpec w;
  auto watchedOrNoise = [&]() {
    if (unit(rng) < 0.05) return keys.noiseKey(uniform(rng, 0, WatchKeySpace::kNoiseKeys - 1));
    return keys.key(uniform(rng, 0, keys.keys() - 1));
  };
  double r = unit(rng);
  if (r < 0.55) {
    w.ops.push_back({WriteOp::Kind::kPut, watchedOrNoise(), "", makeValue(index, 0, valSize)});
  } else if (r < 0.70) {
    w.ops.push_back({WriteOp::Kind::kDelete, watchedOrNoise(), "", ""});
  } else if (r < 0.75) {
    std::int64_t a = uniform(rng, 0, keys.keys() - 1);
    std::int64_t end = std::min(a + uniform(rng, 2, 5), keys.keys());
    w.ops.push_back({WriteOp::Kind::kDelete, keys.key(a), keys.key(end), ""});
  } else {
    w.txn = true;
    std::set<std::string> used;
    auto n = static_cast<std::size_t>(uniform(rng, 2, 4));
    while (w.ops.size() < n) {
      std::string k = watchedOrNoise();
      if (!used.insert(k).second) continue;
      bool put = w.ops.empty() || unit(rng) < 0.75;
      if (put) {
        w.ops.push_back({WriteOp::Kind::kPut, k, "", makeValue(index, w.ops.size(), valSize)});
      } else {
        w.ops.push_back({WriteOp::Kind::kDelete, k, "", ""});
      }
    }
  }
  return w;
}

}  // namespace

WatchKeySpace::WatchKeySpace(std::string prefix, std::int64_t keys)
    : prefix_(std::move(prefix)), keys_(keys), digits_(digitsFor(keys)) {}

std::string WatchKeySpace::key(std::int64_t index) const {
  return prefix_ + "k" + padded(index, digits_);
}

std::string WatchKeySpace::noiseKey(std::int64_t index) const {
  return prefix_ + "n" + padded(index, digits_);
}

std::uint32_t WatchKeySpace::idOf(const std::string& key) const {
  std::size_t p = prefix_.size();
  if (key.size() != p + 1 + static_cast<std::size_t>(digits_) || key.compare(0, p, prefix_) != 0) {
    return kForeignKey;
  }
  char tag = key[p];
  std::int64_t index = 0;
  const char* first = key.data() + p + 1;
  const char* last = key.data() + key.size();
  auto [end, ec] = std::from_chars(first, last, index);
  if (ec != std::errc() || end != last) return kForeignKey;
  if (tag == 'k' && index < keys_) return static_cast<std::uint32_t>(index);
  if (tag == 'n' && index < kNoiseKeys) return static_cast<std::uint32_t>(keys_ + index);
  return kForeignKey;
}

std::string WatchKeySpace::nameOf(std::uint32_t id) const {
  if (id == kForeignKey) return "(foreign key)";
  if (id < keys_) return key(id);
  return noiseKey(id - keys_);
}

std::string prefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

bool WatcherSpec::covers(const std::string& k) const {
  if (rangeEnd.empty()) return k == key;
  if (rangeEnd.size() == 1 && rangeEnd[0] == '\0') return k >= key;
  return k >= key && k < rangeEnd;
}

WatchPlan WatchPlan::make(const WatchOptions& o, const WatchKeySpace& keys) {
  WatchPlan plan;
  std::mt19937_64 watcherRng(o.seed * 7919 + 1);
  plan.watchers.reserve(static_cast<std::size_t>(o.totalWatchers()));
  for (int s = 0; s < o.streams; ++s) {
    bool slow = s < o.slowStreams;
    for (int i = 0; i < o.watchersPerStream; ++i) {
      plan.watchers.push_back(makeWatcher(watcherRng, o, keys, slow));
    }
  }
  std::mt19937_64 writeRng(o.seed * 104729 + 2);
  plan.writes.reserve(static_cast<std::size_t>(o.writes));
  for (std::int64_t i = 0; i < o.writes; ++i) {
    plan.writes.push_back(makeWrite(writeRng, keys, i, o.valSize));
  }
  return plan;
}

}  // namespace cairn::bench
