#include "key_pair_reloader.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace cairn::tls {

KeyPairReloader::KeyPairReloader(std::string certFile, std::string keyFile)
    : certFile_(std::move(certFile)), keyFile_(std::move(keyFile)) {
  certStamp_ = stampOf(certFile_);
  keyStamp_ = stampOf(keyFile_);
}

KeyPairReloader::~KeyPairReloader() {
  X509_free(cert_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
}

void KeyPairReloader::attach(SSL_CTX* ctx) {
  SSL_CTX_set_cert_cb(ctx, &KeyPairReloader::onHandshake, this);
}

int KeyPairReloader::reloads() const {
  std::lock_guard lk(mu_);
  return reloads_;
}

KeyPairReloader::Stamp KeyPairReloader::stampOf(const std::string& path) {
  struct stat st {};
  Stamp out;
  if (::stat(path.c_str(), &st) == 0) {
    out.mtime = st.st_mtim;
    out.size = st.st_size;
  }
  return out;
}

bool KeyPairReloader::load(X509** cert, STACK_OF(X509) * *chain, EVP_PKEY** key) const {
  BIO* in = BIO_new_file(certFile_.c_str(), "r");
  if (in == nullptr) return false;
  *cert = PEM_read_bio_X509_AUX(in, nullptr, nullptr, nullptr);
  *chain = sk_X509_new_null();
  for (X509* ca; *cert != nullptr && (ca = PEM_read_bio_X509(in, nullptr, nullptr, nullptr));) {
    sk_X509_push(*chain, ca);
  }
  BIO_free(in);
  BIO* keyIn = BIO_new_file(keyFile_.c_str(), "r");
  *key = keyIn != nullptr ? PEM_read_bio_PrivateKey(keyIn, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(keyIn);
  if (*cert != nullptr && *key != nullptr && X509_check_private_key(*cert, *key) == 1) return true;
  X509_free(*cert);
  sk_X509_pop_free(*chain, X509_free);
  EVP_PKEY_free(*key);
  return false;
}

void KeyPairReloader::refresh() {
  const Stamp certNow = stampOf(certFile_);
  const Stamp keyNow = stampOf(keyFile_);
  if (certNow == certStamp_ && keyNow == keyStamp_) return;
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  EVP_PKEY* key = nullptr;
  // Not loaded whole: the stamps stay, so the next handshake tries again.
  if (!load(&cert, &chain, &key)) return;
  X509_free(cert_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
  cert_ = cert;
  chain_ = chain;
  key_ = key;
  certStamp_ = certNow;
  keyStamp_ = keyNow;
  ++reloads_;
}

int KeyPairReloader::onHandshake(SSL* ssl, void* arg) {
  auto* self = static_cast<KeyPairReloader*>(arg);
  std::lock_guard lk(self->mu_);
  self->refresh();
  if (self->cert_ == nullptr) return 1;  // unchanged since start: the context's pair
  return SSL_use_cert_and_key(ssl, self->cert_, self->key_, self->chain_, 1) == 1 ? 1 : 0;
}

}  // namespace cairn::tls
