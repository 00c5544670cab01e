#include "jwt_tokens.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "jwt_codec.h"

namespace cairn::auth {

enum class Family { Rsa, RsaPss, Ecdsa, Hmac };

struct JwtTokens::Method {
  const char* name;
  Family family;
  const EVP_MD* (*digest)();
  size_t ecCoordinateBytes;  // ECDSA: bytes of r and of s
};

namespace {

constexpr JwtTokens::Method kMethods[] = {
    {"RS256", Family::Rsa, &EVP_sha256, 0},    {"RS384", Family::Rsa, &EVP_sha384, 0},
    {"RS512", Family::Rsa, &EVP_sha512, 0},    {"PS256", Family::RsaPss, &EVP_sha256, 0},
    {"PS384", Family::RsaPss, &EVP_sha384, 0}, {"PS512", Family::RsaPss, &EVP_sha512, 0},
    {"ES256", Family::Ecdsa, &EVP_sha256, 32}, {"ES384", Family::Ecdsa, &EVP_sha384, 48},
    {"ES512", Family::Ecdsa, &EVP_sha512, 66}, {"HS256", Family::Hmac, &EVP_sha256, 0},
    {"HS384", Family::Hmac, &EVP_sha384, 0},   {"HS512", Family::Hmac, &EVP_sha512, 0},
};

Status invalid(const std::string& why) {
  return Status(StatusCode::InvalidArgument, "auth: invalid auth options (" + why + ")");
}

bool readFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

EVP_PKEY* publicKeyFromPem(const std::string& pem) {
  BioPtr bio = memBio(pem);
  if (EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)) return key;
  // jwt-go also takes a certificate's key.
  bio = memBio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) return nullptr;
  EVP_PKEY* key = X509_get_pubkey(cert);
  X509_free(cert);
  return key;
}

}  // namespace

struct JwtTokens::Keys {
  EVP_PKEY* priv = nullptr;  // RSA / ECDSA
  EVP_PKEY* pub = nullptr;   // derived from priv when no pub-key was given
  std::string secret;        // HMAC
  ~Keys() {
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
  }
};

Status JwtTokens::create(const std::map<std::string, std::string>& options,
                         const Settings& settings, std::unique_ptr<JwtTokens>* out, Clock clock) {
  for (const auto& [name, _] : options) {
    if (name != "sign-method" && name != "priv-key" && name != "pub-key" && name != "ttl") {
      return invalid("unknown jwt option " + name);
    }
  }
  auto option = [&](const char* name) {
    auto it = options.find(name);
    return it == options.end() ? std::string() : it->second;
  };
  const Method* method = nullptr;
  for (const Method& m : kMethods) {
    if (option("sign-method") == m.name) method = &m;
  }
  if (method == nullptr) {
    return Status(StatusCode::InvalidArgument, "auth: invalid auth signature method");
  }
  std::chrono::nanoseconds ttl = std::chrono::minutes(5);
  if (!option("ttl").empty() && !settings.parseDuration(option("ttl"), &ttl)) {
    return invalid("ttl " + option("ttl"));
  }
  std::string privPem, pubPem;
  if (option("priv-key").empty()) {
    return Status(StatusCode::InvalidArgument,
                  "auth: missing key data (a member signs tokens: priv-key is required)");
  }
  if (!readFile(option("priv-key"), &privPem)) return invalid("cannot read " + option("priv-key"));
  if (!option("pub-key").empty() && !readFile(option("pub-key"), &pubPem)) {
    return invalid("cannot read " + option("pub-key"));
  }
  auto keys = std::make_unique<Keys>();
  if (method->family == Family::Hmac) {
    keys->secret = privPem;
  } else {
    BioPtr bio = memBio(privPem);
    keys->priv = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (keys->priv == nullptr) return invalid("priv-key is not a PEM private key");
    const int type = EVP_PKEY_get_base_id(keys->priv);
    const bool rsa = method->family == Family::Rsa || method->family == Family::RsaPss;
    if ((rsa && type != EVP_PKEY_RSA) || (!rsa && type != EVP_PKEY_EC)) {
      return invalid(std::string("priv-key does not fit ") + method->name);
    }
    if (!pubPem.empty()) {
      keys->pub = publicKeyFromPem(pubPem);
      if (keys->pub == nullptr) return invalid("pub-key is not a PEM public key");
      if (EVP_PKEY_eq(keys->priv, keys->pub) != 1) {
        return Status(StatusCode::InvalidArgument, "auth: public and private keys don't match");
      }
    }
  }
  out->reset(new JwtTokens(*method, std::move(keys), ttl, std::move(clock)));
  return Status::ok();
}

JwtTokens::JwtTokens(const Method& method, std::unique_ptr<Keys> keys, std::chrono::nanoseconds ttl,
                     Clock clock)
    : method_(method),
      keys_(std::move(keys)),
      ttl_(ttl),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); })) {}

JwtTokens::~JwtTokens() = default;

bool JwtTokens::sign(const std::string& input, std::string* signature) const {
  const EVP_MD* md = method_.digest();
  if (method_.family == Family::Hmac) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (HMAC(md, keys_->secret.data(), static_cast<int>(keys_->secret.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
             &len) == nullptr) {
      return false;
    }
    signature->assign(reinterpret_cast<const char*>(mac), len);
    return true;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestSignInit(ctx, &pctx, md, nullptr, keys_->priv) == 1;
  if (ok && method_.family == Family::RsaPss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  size_t len = 0;
  std::string der;
  if (ok) {
    ok = EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                        input.size()) == 1;
  }
  if (ok) {
    der.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    der.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return false;
  if (method_.family != Family::Ecdsa) {
    *signature = std::move(der);
    return true;
  }
  // JWS wants r||s, each left-padded to the curve's size; OpenSSL signs DER.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return false;
  const size_t n = method_.ecCoordinateBytes;
  signature->assign(2 * n, '\0');
  const bool padded =
      BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(signature->data()),
                   static_cast<int>(n)) == static_cast<int>(n) &&
      BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(signature->data()) + n,
                   static_cast<int>(n)) == static_cast<int>(n);
  ECDSA_SIG_free(sig);
  return padded;
}

bool JwtTokens::verify(const std::string& input, const std::string& signature) const {
  if (method_.family == Family::Hmac) {
    std::string expected;
    if (!sign(input, &expected)) return false;
    return expected.size() == signature.size() &&
           CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
  }
  std::string der = signature;
  if (method_.family == Family::Ecdsa) {
    const size_t n = method_.ecCoordinateBytes;
    if (signature.size() != 2 * n) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()),
                          static_cast<int>(n), nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + n,
                          static_cast<int>(n), nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
      ECDSA_SIG_free(sig);
      BN_free(r);
      BN_free(s);
      return false;
    }
    unsigned char* buf = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &buf);
    ECDSA_SIG_free(sig);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
    OPENSSL_free(buf);
  }
  EVP_PKEY* key = keys_->pub != nullptr ? keys_->pub : keys_->priv;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, method_.digest(), nullptr, key) == 1;
  if (ok && method_.family == Family::RsaPss) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
  }
  ok = ok &&
       EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Status JwtTokens::assign(const std::string& user, uint64_t revision, uint64_t, const std::string&,
                         std::string* token) {
  const auto exp =
      std::chrono::duration_cast<std::chrono::seconds>(
          (clock_() + std::chrono::duration_cast<std::chrono::system_clock::duration>(ttl_))
              .time_since_epoch())
          .count();
  const std::string header =
      std::string("{\"alg\":") + jwt::jsonString(method_.name) + ",\"typ\":\"JWT\"}";
  const std::string claims = "{\"exp\":" + std::to_string(exp) +
                             ",\"revision\":" + std::to_string(revision) +
                             ",\"username\":" + jwt::jsonString(user) + "}";
  const std::string input = jwt::base64UrlEncode(header) + "." + jwt::base64UrlEncode(claims);
  std::string signature;
  if (!sign(input, &signature)) {
    return Status(StatusCode::Internal, "auth: cannot sign a JWT token");
  }
  *token = input + "." + jwt::base64UrlEncode(signature);
  return Status::ok();
}

bool JwtTokens::info(const std::string& token, std::string* user, uint64_t* revision) {
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) return false;
  auto header = jwt::base64UrlDecode(std::string_view(token).substr(0, dot1));
  auto claims = jwt::base64UrlDecode(std::string_view(token).substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = jwt::base64UrlDecode(std::string_view(token).substr(dot2 + 1));
  if (!header || !claims || !signature) return false;
  auto h = jwt::parseFlatObject(*header);
  if (!h || !(*h)["alg"].isString || (*h)["alg"].text != method_.name) return false;
  if (!verify(token.substr(0, dot2), *signature)) return false;
  auto c = jwt::parseFlatObject(*claims);
  if (!c) return false;
  auto name = c->find("username");
  auto rev = c->find("revision");
  auto exp = c->find("exp");
  if (name == c->end() || !name->second.isString || rev == c->end() || rev->second.isString) {
    return false;
  }
  if (exp != c->end()) {
    double expires = 0;
    try {
      expires = std::stod(exp->second.text);
    } catch (...) {
      return false;
    }
    const double now = std::chrono::duration<double>(clock_().time_since_epoch()).count();
    if (now > expires) return false;
  }
  uint64_t r = 0;
  const std::string& text = rev->second.text;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), r);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  *user = name->second.text;
  *revision = r;
  return true;
}

}  // namespace cairn::auth
