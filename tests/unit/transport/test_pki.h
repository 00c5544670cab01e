// TestPki: a throwaway certificate authority for the peer TLS tests, in a
// temporary directory removed with it: the CA's certificate and key, and
// member certificates it signs with a chosen common name and subject
// alternative names (both server and client use, as etcd's peer
// certificates are used both ways).
#pragma once

#include <string>
#include <vector>

namespace cairn::testing {

struct TestCertificate {
  std::string certFile;
  std::string keyFile;
};

class TestPki {
 public:
  // A new CA whose subject is `caName`.
  explicit TestPki(const std::string& caName = "test-ca");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& caFile() const { return caFile_; }
  // A certificate signed by this CA (`ips` and `dnsNames` as SANs).
  TestCertificate issue(const std::string& fileName, const std::string& commonName,
                        const std::vector<std::string>& ips,
                        const std::vector<std::string>& dnsNames = {});
  // A CRL of this CA revoking the certificates in `certFiles` (PEM, or DER
  // when `der`); its path.
  std::string revoke(const std::string& fileName, const std::vector<std::string>& certFiles,
                     bool der = false);

 private:
  std::string dir_;
  std::string caFile_;
  void* caKey_ = nullptr;   // EVP_PKEY*
  void* caCert_ = nullptr;  // X509*
};

}  // namespace cairn::testing
