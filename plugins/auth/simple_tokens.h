// SimpleTokens: etcd's "simple" tokens: "<16 random letters>.<raft index>",
// unsigned, known only through the in-memory table every member fills when
// it applies the Authenticate entry. A token expires `ttl` after its last
// use (etcd's simpleTokenTTLKeeper); expiry is checked when a token is used
// and swept when one is assigned.
//
// Thread-safe: mu_ guards the table.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "token_provider.h"

namespace cairn::auth {

class SimpleTokens final : public TokenProvider {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit SimpleTokens(std::chrono::nanoseconds ttl, Clock clock = nullptr);

  void enable() override;
  void disable() override;
  std::string genTokenPrefix() override;
  Status assign(const std::string& user, uint64_t revision, uint64_t index,
                const std::string& prefix, std::string* token) override;
  bool info(const std::string& token, std::string* user, uint64_t* revision) override;
  void invalidateUser(const std::string& user) override;

 private:
  struct Entry {
    std::string user;
    std::chrono::steady_clock::time_point expires;
  };
  void sweepLocked(std::chrono::steady_clock::time_point now);

  const std::chrono::nanoseconds ttl_;
  const Clock clock_;
  std::mutex mu_;
  bool enabled_ = false;                           // guarded by mu_
  std::unordered_map<std::string, Entry> tokens_;  // guarded by mu_
};

}  // namespace cairn::auth
