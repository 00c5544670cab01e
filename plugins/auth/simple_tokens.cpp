#include "simple_tokens.h"

#include <openssl/rand.h>

#include <charconv>

namespace cairn::auth {
namespace {

constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr size_t kPrefixLength = 16;

// etcd's shape check: exactly one '.', a decimal index after it.
bool wellFormed(const std::string& token) {
  const size_t dot = token.find('.');
  if (dot == std::string::npos || token.find('.', dot + 1) != std::string::npos) return false;
  uint64_t index = 0;
  const char* begin = token.data() + dot + 1;
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(begin, end, index);
  return ec == std::errc() && ptr == end && begin != end;
}

}  // namespace

SimpleTokens::SimpleTokens(std::chrono::nanoseconds ttl, Clock clock)
    : ttl_(ttl),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

void SimpleTokens::enable() {
  std::lock_guard lk(mu_);
  enabled_ = true;
}

void SimpleTokens::disable() {
  std::lock_guard lk(mu_);
  enabled_ = false;
  tokens_.clear();
}

std::string SimpleTokens::genTokenPrefix() {
  unsigned char random[kPrefixLength];
  std::string prefix(kPrefixLength, 'a');
  if (RAND_bytes(random, sizeof random) != 1) return {};  // the caller refuses an empty prefix
  for (size_t i = 0; i < kPrefixLength; ++i) prefix[i] = kLetters[random[i] % kLetters.size()];
  return prefix;
}

Status SimpleTokens::assign(const std::string& user, uint64_t, uint64_t index,
                            const std::string& prefix, std::string* token) {
  *token = prefix + "." + std::to_string(index);
  std::lock_guard lk(mu_);
  if (!enabled_) return Status::ok();  // as etcd: a token nobody will accept
  const auto now = clock_();
  sweepLocked(now);
  tokens_[*token] = Entry{user, now + ttl_};
  return Status::ok();
}

bool SimpleTokens::info(const std::string& token, std::string* user, uint64_t* revision) {
  if (!wellFormed(token)) return false;
  std::lock_guard lk(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return false;
  const auto now = clock_();
  if (it->second.expires <= now) {
    tokens_.erase(it);
    return false;
  }
  it->second.expires = now + ttl_;
  *user = it->second.user;
  *revision = 0;
  return true;
}

void SimpleTokens::invalidateUser(const std::string& user) {
  std::lock_guard lk(mu_);
  std::erase_if(tokens_, [&](const auto& kv) { return kv.second.user == user; });
}

void SimpleTokens::sweepLocked(std::chrono::steady_clock::time_point now) {
  std::erase_if(tokens_, [&](const auto& kv) { return kv.second.expires <= now; });
}

}  // namespace cairn::auth
