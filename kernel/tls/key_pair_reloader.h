// KeyPairReloader: a TLS context's certificate and key, re-read from their
// files when they change, so an operator can rotate a member's certificate
// without restarting it. etcd loads the key pair from disk for every
// handshake (its tls.Config GetCertificate and GetClientCertificate);
// this reads the files again only when their modification time or size
// changed, on the next handshake after the change, and keeps serving the
// last pair that loaded whole (a certificate and key that match) while
// the new files are half-written.
//
// attach() makes it the context's certificate callback (SSL_CTX_set_cert_cb)
// for handshakes on both sides: a listener's and a dialer's.
//
// Threads: any; handshakes on several threads share it (under mu_). It
// must outlive every handshake of the contexts it is attached to.
#pragma once

#include <openssl/ssl.h>
#include <sys/stat.h>

#include <mutex>
#include <string>

namespace cairn::tls {

class KeyPairReloader {
 public:
  // Loaded already (the context's own pair); reread on change from then on.
  KeyPairReloader(std::string certFile, std::string keyFile);
  ~KeyPairReloader();
  KeyPairReloader(const KeyPairReloader&) = delete;
  KeyPairReloader& operator=(const KeyPairReloader&) = delete;

  void attach(SSL_CTX* ctx);
  // How many times new files were loaded (tests).
  int reloads() const;

 private:
  struct Stamp {
    timespec mtime{};
    off_t size = -1;
    bool operator==(const Stamp& o) const {
      return mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec && size == o.size;
    }
  };
  static int onHandshake(SSL* ssl, void* self);
  static Stamp stampOf(const std::string& path);
  // Reads both files; true and the pair when they load and match.
  bool load(X509** cert, STACK_OF(X509) * *chain, EVP_PKEY** key) const;
  void refresh();  // under mu_

  const std::string certFile_;
  const std::string keyFile_;
  mutable std::mutex mu_;
  Stamp certStamp_;                   // guarded by mu_: the files last tried
  Stamp keyStamp_;                    // guarded by mu_
  X509* cert_ = nullptr;              // guarded by mu_: the pair in use (null: the context's own)
  STACK_OF(X509) * chain_ = nullptr;  // guarded by mu_
  EVP_PKEY* key_ = nullptr;           // guarded by mu_
  int reloads_ = 0;                   // guarded by mu_
};

}  // namespace cairn::tls
