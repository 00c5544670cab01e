// PasswordHasher: bcrypt through libxcrypt (crypt_gensalt_rn / crypt_r with
// the "$2b$" prefix), the hash etcd stores in authpb.User.password. Go's
// "$2a$" hashes from an etcd snapshot verify too.
//
// Stateless apart from its cost and a dummy hash made once, so an unknown
// user costs the same bcrypt comparison as a wrong password. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::auth {

class PasswordHasher {
 public:
  // bcrypt's cost bounds (Go's bcrypt.MinCost/MaxCost); etcd falls back to
  // its default, 10, outside them.
  static constexpr unsigned kMinCost = 4;
  static constexpr unsigned kMaxCost = 31;
  static constexpr unsigned kFallbackCost = 10;

  explicit PasswordHasher(unsigned cost);

  unsigned cost() const { return cost_; }
  // A new salted hash of `password`.
  Status hash(std::string_view password, std::string* out) const;
  // Whether `password` matches `stored`; compares in constant time.
  bool verify(std::string_view password, std::string_view stored) const;
  // Burns the time of one verify(), for callers that found no user.
  void verifyDummy(std::string_view password) const;

 private:
  unsigned cost_;
  std::string dummy_;  // a hash of a random password, made at construction
};

}  // namespace cairn::auth
