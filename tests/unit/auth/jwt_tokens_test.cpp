// JWT tokens over OpenSSL: each method signs and verifies its own tokens,
// carries user and revision, expires, and refuses tampering, another key,
// another method, and bad options.
#include "jwt_tokens.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../common/fake_settings.h"
#include "jwt_codec.h"

using cairn::auth::JwtTokens;
using namespace std::chrono_literals;

namespace {

struct TempKeys {
  std::filesystem::path dir;
  TempKeys() {
    char tmpl[] = "/tmp/cairn-jwt-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~TempKeys() { std::filesystem::remove_all(dir); }

  // Writes a new key pair (RSA 2048 or EC on `curve`); returns {priv, pub}.
  std::pair<std::string, std::string> pair(const std::string& name, const char* curve) {
    EVP_PKEY* key = curve == nullptr ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
    REQUIRE(key != nullptr);
    const std::string priv = (dir / (name + ".key")).string();
    const std::string pub = (dir / (name + ".pub")).string();
    FILE* f = std::fopen(priv.c_str(), "w");
    REQUIRE(PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    std::fclose(f);
    f = std::fopen(pub.c_str(), "w");
    REQUIRE(PEM_write_PUBKEY(f, key) == 1);
    std::fclose(f);
    EVP_PKEY_free(key);
    return {priv, pub};
  }
  std::string secret(const std::string& text) {
    const std::string path = (dir / "secret").string();
    std::ofstream(path) << text;
    return path;
  }
};

// The kernel's parsers, as the plugin reads them through the Host.
const cairn::test::FakeSettings kSettings{cairn::test::Flags{}};

std::unique_ptr<JwtTokens> make(const std::map<std::string, std::string>& options,
                                JwtTokens::Clock clock = nullptr) {
  std::unique_ptr<JwtTokens> tokens;
  cairn::Status st = JwtTokens::create(options, kSettings, &tokens, std::move(clock));
  INFO(st.message());
  REQUIRE(st);
  return tokens;
}

void roundTrip(JwtTokens& tokens) {
  std::string token;
  REQUIRE(tokens.assign("alice", 42, 7, "", &token));
  std::string user;
  uint64_t rev = 0;
  REQUIRE(tokens.info(token, &user, &rev));
  CHECK(user == "alice");
  CHECK(rev == 42);
  // Tampering with the claims breaks the signature.
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.find('.', dot1 + 1);
  const std::string forged = token.substr(0, dot1 + 1) +
                             cairn::auth::jwt::base64UrlEncode(
                                 "{\"exp\":9999999999,\"revision\":42,\"username\":\"root\"}") +
                             token.substr(dot2);
  CHECK_FALSE(tokens.info(forged, &user, &rev));
  CHECK_FALSE(tokens.info(token + "x", &user, &rev));
  CHECK_FALSE(tokens.info("a.b", &user, &rev));
}

}  // namespace

TEST_CASE("RS, PS, ES and HS tokens sign and verify", "[auth][jwt]") {
  TempKeys keys;
  auto [rsaPriv, rsaPub] = keys.pair("rsa", nullptr);
  for (const char* m : {"RS256", "RS384", "RS512", "PS256", "PS512"}) {
    INFO(m);
    roundTrip(*make({{"sign-method", m}, {"priv-key", rsaPriv}, {"pub-key", rsaPub}}));
  }
  auto [p256, p256pub] = keys.pair("p256", "P-256");
  roundTrip(*make({{"sign-method", "ES256"}, {"priv-key", p256}, {"pub-key", p256pub}}));
  auto [p384, p384pub] = keys.pair("p384", "P-384");
  roundTrip(*make({{"sign-method", "ES384"}, {"priv-key", p384}}));
  auto [p521, p521pub] = keys.pair("p521", "P-521");
  roundTrip(*make({{"sign-method", "ES512"}, {"priv-key", p521}, {"pub-key", p521pub}}));
  roundTrip(*make({{"sign-method", "HS256"}, {"priv-key", keys.secret("s3cret")}}));
}

TEST_CASE("a token from another key or method is refused", "[auth][jwt]") {
  TempKeys keys;
  auto [a, aPub] = keys.pair("a", nullptr);
  auto [b, bPub] = keys.pair("b", nullptr);
  auto signer = make({{"sign-method", "RS256"}, {"priv-key", a}});
  auto other = make({{"sign-method", "RS256"}, {"priv-key", b}});
  auto otherMethod = make({{"sign-method", "RS512"}, {"priv-key", a}});
  std::string token, user;
  uint64_t rev = 0;
  REQUIRE(signer->assign("alice", 1, 1, "", &token));
  CHECK_FALSE(other->info(token, &user, &rev));
  CHECK_FALSE(otherMethod->info(token, &user, &rev));
}

TEST_CASE("a JWT expires after its ttl", "[auth][jwt]") {
  TempKeys keys;
  auto [priv, pub] = keys.pair("k", "P-256");
  auto now = std::chrono::system_clock::now();
  auto tokens =
      make({{"sign-method", "ES256"}, {"priv-key", priv}, {"ttl", "30s"}}, [&now] { return now; });
  std::string token, user;
  uint64_t rev = 0;
  REQUIRE(tokens->assign("alice", 1, 1, "", &token));
  now += 29s;
  CHECK(tokens->info(token, &user, &rev));
  now += 2s;
  CHECK_FALSE(tokens->info(token, &user, &rev));
}

TEST_CASE("bad JWT options are refused", "[auth][jwt]") {
  TempKeys keys;
  auto [a, aPub] = keys.pair("a", nullptr);
  auto [b, bPub] = keys.pair("b", nullptr);
  auto [ec, ecPub] = keys.pair("ec", "P-256");
  std::unique_ptr<JwtTokens> t;
  CHECK(JwtTokens::create({{"sign-method", "XX256"}, {"priv-key", a}}, kSettings, &t).message() ==
        "auth: invalid auth signature method");
  CHECK(JwtTokens::create({{"sign-method", "RS256"}}, kSettings, &t)
            .message()
            .rfind("auth: missing key data", 0) == 0);
  CHECK(JwtTokens::create({{"sign-method", "RS256"}, {"priv-key", a}, {"pub-key", bPub}}, kSettings,
                          &t)
            .message() == "auth: public and private keys don't match");
  CHECK_FALSE(JwtTokens::create({{"sign-method", "ES256"}, {"priv-key", a}}, kSettings, &t));
  CHECK_FALSE(JwtTokens::create({{"sign-method", "RS256"}, {"priv-key", ec}}, kSettings, &t));
  CHECK_FALSE(
      JwtTokens::create({{"sign-method", "RS256"}, {"priv-key", a}, {"ttl", "5x"}}, kSettings, &t));
  CHECK_FALSE(JwtTokens::create({{"sign-method", "RS256"}, {"priv-key", a}, {"bogus", "1"}},
                                kSettings, &t));
}

TEST_CASE("a JWT ttl is read as Go reads a duration", "[auth][jwt]") {
  TempKeys keys;
  auto [a, aPub] = keys.pair("a", nullptr);
  auto expiresAfter = [&](const std::string& ttl, std::chrono::seconds at) {
    auto now = std::chrono::system_clock::now();
    auto tokens =
        make({{"sign-method", "RS256"}, {"priv-key", a}, {"ttl", ttl}}, [&now] { return now; });
    std::string token, user;
    uint64_t rev = 0;
    REQUIRE(tokens->assign("alice", 1, 1, "", &token));
    now += at - 1s;
    const bool validBefore = tokens->info(token, &user, &rev);
    now += 2s;
    return validBefore && !tokens->info(token, &user, &rev);
  };
  CHECK(expiresAfter("1h30m", 5400s));
  CHECK(expiresAfter("1.5m", 90s));
  CHECK(expiresAfter("+90s", 90s));
  // Spellings Go's time.ParseDuration (and so etcd) refuses.
  std::unique_ptr<JwtTokens> t;
  for (const char* bad : {"10", "1.2.3s", "3 days", "5x", ".s", "1e3s"}) {
    INFO(bad);
    CHECK(
        JwtTokens::create({{"sign-method", "RS256"}, {"priv-key", a}, {"ttl", bad}}, kSettings, &t)
            .message() == std::string("auth: invalid auth options (ttl ") + bad + ")");
  }
}
