#include "password_hasher.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <memory>

namespace cairn::auth {
namespace {

constexpr const char* kPrefix = "$2b$";

// crypt_r's scratch area is ~32 KiB: on the heap, one per call.
std::unique_ptr<crypt_data> scratch() {
  auto data = std::make_unique<crypt_data>();
  data->initialized = 0;
  return data;
}

}  // namespace

PasswordHasher::PasswordHasher(unsigned cost)
    : cost_(cost < kMinCost || cost > kMaxCost ? kFallbackCost : cost) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) {
    // Unreachable on Linux (getrandom); the dummy stays a fixed string and
    // still costs a full comparison.
    for (unsigned char& c : random) c = 'x';
  }
  std::string password(reinterpret_cast<const char*>(random), sizeof random);
  for (char& c : password) c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
  if (!hash(password, &dummy_)) dummy_.clear();
}

Status PasswordHasher::hash(std::string_view password, std::string* out) const {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(kPrefix, cost_, nullptr, 0, setting, sizeof setting) == nullptr) {
    return Status(StatusCode::Internal, "auth: cannot make a bcrypt salt");
  }
  // bcrypt reads a NUL-terminated password; Go's bcrypt hashes the bytes up
  // to 72 of them, and an embedded NUL cannot be sent by etcdctl.
  const std::string pw(password);
  auto data = scratch();
  const char* hashed = crypt_r(pw.c_str(), setting, data.get());
  if (hashed == nullptr || hashed[0] == '*') {
    return Status(StatusCode::Internal, "auth: bcrypt hashing failed");
  }
  *out = hashed;
  return Status::ok();
}

bool PasswordHasher::verify(std::string_view password, std::string_view stored) const {
  if (stored.empty()) return false;
  const std::string pw(password);
  const std::string setting(stored);
  auto data = scratch();
  const char* hashed = crypt_r(pw.c_str(), setting.c_str(), data.get());
  if (hashed == nullptr || hashed[0] == '*') return false;
  const std::string_view got(hashed);
  return got.size() == stored.size() && CRYPTO_memcmp(got.data(), stored.data(), got.size()) == 0;
}

void PasswordHasher::verifyDummy(std::string_view password) const {
  (void)verify(password, dummy_);
}

}  // namespace cairn::auth
