// TokenProvider: how an authenticated user is named in later requests
// (etcd's auth.TokenProvider): simple tokens (random, kept in memory on every
// member, expiring) or signed JWTs.
//
// Threads: assign/enable/disable/invalidateUser run on the apply loop (on
// every member, so any member knows every simple token); info and
// genTokenPrefix on request threads. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "cairn/status.h"

namespace cairn::auth {

class TokenProvider {
 public:
  virtual ~TokenProvider() = default;

  virtual void enable() = 0;
  // Forgets every token (simple); a disabled provider knows none.
  virtual void disable() = 0;

  // Made before proposing an Authenticate (travels in the entry, so every
  // member assigns the same token); empty when the provider needs none.
  virtual std::string genTokenPrefix() = 0;
  // A token for `user` at auth `revision`, assigned by entry `index`.
  virtual Status assign(const std::string& user, uint64_t revision, uint64_t index,
                        const std::string& prefix, std::string* token) = 0;
  // The user a token names. `revision` gets the auth revision it carries,
  // or 0 when the token carries none (simple: the caller takes the
  // current one). A valid simple token's lifetime starts again.
  virtual bool info(const std::string& token, std::string* user, uint64_t* revision) = 0;

  // The user was deleted or changed password: its tokens stop working.
  virtual void invalidateUser(const std::string& user) = 0;
};

}  // namespace cairn::auth
