// JwtTokens: etcd's "jwt" token provider. A token is a JWT signed with the
// configured method and key (OpenSSL EVP), carrying the user name, the auth
// revision it was issued at and an expiry ("exp", now + ttl): any member
// holding the public key verifies it without shared state, and a token
// issued before the auth store changed is "old" (AuthOldRevision) until the
// client authenticates again, as in etcd.
//
// Methods: RS256/384/512 and PS256/384/512 (RSA keys), ES256/384/512
// (ECDSA P-256/384/521, signatures as raw r||s), HS256/384/512 (the
// priv-key file's bytes are the secret). Immutable after construction;
// thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cairn/settings.h"
#include "token_provider.h"

namespace cairn::auth {

class JwtTokens final : public TokenProvider {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // Options as given to --auth-token jwt,...: sign-method, priv-key and
  // pub-key (PEM file paths), ttl (a Go duration, default 5m). A member
  // issues tokens, so the private key is required; the public key, when
  // given, must match it. InvalidArgument naming what is wrong. The ttl is
  // read by the kernel's Go duration parser (Settings::parseDuration), the
  // one every duration flag goes through.
  static Status create(const std::map<std::string, std::string>& options, const Settings& settings,
                       std::unique_ptr<JwtTokens>* out, Clock clock = nullptr);
  ~JwtTokens() override;

  void enable() override {}
  void disable() override {}
  std::string genTokenPrefix() override { return {}; }
  Status assign(const std::string& user, uint64_t revision, uint64_t index,
                const std::string& prefix, std::string* token) override;
  bool info(const std::string& token, std::string* user, uint64_t* revision) override;
  void invalidateUser(const std::string&) override {}

  struct Method;  // the algorithm table entry (jwt_tokens.cpp)

 private:
  struct Keys;
  JwtTokens(const Method& method, std::unique_ptr<Keys> keys, std::chrono::nanoseconds ttl,
            Clock clock);
  bool sign(const std::string& input, std::string* signature) const;
  bool verify(const std::string& input, const std::string& signature) const;

  const Method& method_;
  std::unique_ptr<Keys> keys_;
  const std::chrono::nanoseconds ttl_;
  const Clock clock_;
};

}  // namespace cairn::auth
