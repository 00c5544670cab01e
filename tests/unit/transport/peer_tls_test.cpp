// Peer TLS (etcd's --peer-* TLS flags) with real TcpTransports over
// loopback: certificates from a test CA both ways, --peer-client-cert-auth
// refusing a certificate of another CA, --peer-cert-allowed-cn and
// -hostname, the dialer checking the listener's name and the listener the
// dialer's address (checkSAN), --peer-auto-tls, plain and TLS peers
// failing to talk without crashing, the cluster and HashKV queries over TLS, and the
// setup's errors as etcd words them; --peer-crl-file refusing a revoked
// dialer; a certificate replaced on disk served from the next connection.
#include "transport/peer_tls.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "test_pki.h"
#include "transport/cluster_query.h"
#include "transport/hashkv_query.h"
#include "transport_fixture.h"

using namespace cairn::transport;
using namespace cairn::testing;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<PeerTls> peerTls(PeerTlsOptions o) {
  CapturingLogger logger;
  std::shared_ptr<PeerTls> out;
  cairn::Status st = PeerTls::create(std::move(o), logger, &out);
  INFO(st.message());
  REQUIRE(st.isOk());
  return out;
}

PeerTlsOptions withCa(const TestPki& pki, const TestCertificate& cert, bool clientCertAuth) {
  PeerTlsOptions o;
  o.certFile = cert.certFile;
  o.keyFile = cert.keyFile;
  o.trustedCaFile = pki.caFile();
  o.clientCertAuth = clientCertAuth;
  return o;
}

// Sends heartbeats from a to b until one from a arrives (true) or `tries` pass.
bool reaches(Member& a, uint64_t aId, Member& b, uint64_t bId, int tries = 100) {
  for (int i = 0; i < tries; ++i) {
    a.transport->send({msg(raftpb::MSG_HEARTBEAT, aId, bId, i)});
    const auto fromA = [aId](const auto& got) {
      return std::any_of(got.begin(), got.end(), [aId](const auto& m) { return m.from() == aId; });
    };
    if (b.waitFor(fromA, 20ms)) return true;
  }
  return false;
}

// A listener with `listener` options hears a dialer with certificate `good`
// and refuses one with `bad`, logging why.
void admitsOnlyTheFirst(const TestPki& pki, const PeerTlsOptions& listener,
                        const TestCertificate& good, const TestCertificate& bad) {
  Member a(1, 100, 0, peerTls(listener));
  Member admitted(2, 100, 0, peerTls(withCa(pki, good, true)));
  Member refused(3, 100, 0, peerTls(withCa(pki, bad, true)));
  link(admitted, 2, a, 1);
  link(refused, 3, a, 1);
  REQUIRE(reaches(admitted, 2, a, 1));
  REQUIRE_FALSE(reaches(refused, 3, a, 1, 20));
  REQUIRE(a.logger.waitToSee("rejected connection", "client certificate authentication failed"));
}

}  // namespace

TEST_CASE("peers with certificates of one CA speak TLS both ways") {
  TestPki pki;
  auto tls1 = peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true));
  auto tls2 = peerTls(withCa(pki, pki.issue("m2", "member", {"127.0.0.1"}), true));
  Member a(1, 100, 0, tls1), b(2, 100, 0, tls2);
  REQUIRE(a.url().rfind("https://", 0) == 0);
  link(a, 1, b, 2);
  std::vector<raftpb::Message> out;
  for (uint64_t i = 0; i < 200; ++i) out.push_back(msg(raftpb::MSG_APP, 1, 2, i, 5000));
  a.transport->send(std::move(out));
  REQUIRE(b.waitFor([](const auto& got) { return got.size() == 200; }));
  for (uint64_t i = 0; i < 200; ++i) REQUIRE(b.got[i].index() == i);
  b.transport->send({msg(raftpb::MSG_APP_RESP, 2, 1, 9)});
  REQUIRE(a.waitFor([](const auto& got) { return got.size() == 1; }));
}

TEST_CASE("peer client-cert-auth refuses a dialer whose certificate another CA signed") {
  TestPki pki, other("other-ca");
  auto tls1 = peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true));
  // m2 trusts the cluster's CA (so it accepts m1's listener) but its own
  // certificate comes from another CA.
  auto tls2 = peerTls(withCa(pki, other.issue("m2", "member", {"127.0.0.1"}), true));
  Member a(1, 100, 0, tls1), b(2, 100, 0, tls2);
  link(b, 2, a, 1);
  REQUIRE_FALSE(reaches(b, 2, a, 1, 20));
  REQUIRE(a.logger.waitToSee("rejected connection", "certificate verify failed"));
  REQUIRE(b.logger.waitToSee("failed to dial remote peer"));
  REQUIRE(b.unreachable.load() > 0);
}

TEST_CASE("a dialer refuses a listener certificate of another CA or for another address") {
  TestPki pki, other("other-ca");
  const TestCertificate listenerCerts[] = {other.issue("m1", "member", {"127.0.0.1"}),
                                           pki.issue("m1", "member", {"127.0.0.2"})};
  for (const TestCertificate& cert : listenerCerts) {
    Member a(1, 100, 0, peerTls(withCa(pki, cert, false)));
    Member b(2, 100, 0, peerTls(withCa(pki, pki.issue("m2", "member", {"127.0.0.1"}), false)));
    link(b, 2, a, 1);
    REQUIRE_FALSE(reaches(b, 2, a, 1, 20));
    REQUIRE(b.logger.waitToSee("failed to dial remote peer", "certificate verify failed"));
  }
}

TEST_CASE("a listener checks the SANs of the dialer's certificate against its address") {
  TestPki pki;
  auto tls1 = peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true));
  auto tls2 = peerTls(withCa(pki, pki.issue("m2", "member", {"10.9.8.7"}), true));
  Member a(1, 100, 0, tls1), b(2, 100, 0, tls2);
  link(b, 2, a, 1);
  REQUIRE_FALSE(reaches(b, 2, a, 1, 20));
  REQUIRE(a.logger.waitToSee("rejected connection",
                             "x509: certificate is valid for 10.9.8.7, not 127.0.0.1"));

  SECTION("unless --experimental-peer-skip-client-san-verification") {
    PeerTlsOptions o = withCa(pki, pki.issue("m3", "member", {"127.0.0.1"}), true);
    o.skipClientSanVerify = true;
    Member c(3, 100, 0, peerTls(o));
    link(b, 2, c, 3);
    REQUIRE(reaches(b, 2, c, 3));
  }
}

TEST_CASE("peer allowed CN refuses a peer whose certificate has another CN") {
  TestPki pki;
  PeerTlsOptions o = withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true);
  o.allowedCn = "member";
  admitsOnlyTheFirst(pki, o, pki.issue("m2", "member", {"127.0.0.1"}),
                     pki.issue("m3", "intruder", {"127.0.0.1"}));

  SECTION("the dialer applies it to the listener's certificate too") {
    Member a(1, 100, 0, peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true)));
    PeerTlsOptions o2 = withCa(pki, pki.issue("m2", "member", {"127.0.0.1"}), true);
    o2.allowedCn = "someone-else";
    Member b(2, 100, 0, peerTls(o2));
    link(b, 2, a, 1);
    REQUIRE_FALSE(reaches(b, 2, a, 1, 20));
    REQUIRE(b.logger.waitToSee("failed to dial remote peer",
                               "client certificate authentication failed"));
  }
}

TEST_CASE("peer allowed hostname accepts a certificate naming that host only") {
  TestPki pki;
  PeerTlsOptions o = withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true);
  o.allowedHostname = "peer.example";
  admitsOnlyTheFirst(pki, o, pki.issue("m2", "x", {"127.0.0.1"}, {"peer.example"}),
                     pki.issue("m3", "x", {"127.0.0.1"}, {"other.example"}));
}

TEST_CASE("peer auto TLS makes a certificate at start and peers talk without verifying it") {
  TestPki scratch;  // only for its temporary directory
  PeerTlsOptions o;
  o.autoTls = true;
  o.dataDir = scratch.dir() + "/m1";
  o.listenUrls = {loopback(0, "https")};
  auto tls1 = peerTls(o);
  REQUIRE(std::filesystem::exists(o.dataDir + "/fixtures/peer/cert.pem"));
  REQUIRE(std::filesystem::exists(o.dataDir + "/fixtures/peer/key.pem"));
  const auto made = std::filesystem::last_write_time(o.dataDir + "/fixtures/peer/cert.pem");
  peerTls(o);  // a restart keeps the certificate
  REQUIRE(std::filesystem::last_write_time(o.dataDir + "/fixtures/peer/cert.pem") == made);
  o.dataDir = scratch.dir() + "/m2";
  auto tls2 = peerTls(o);
  Member a(1, 100, 0, tls1), b(2, 100, 0, tls2);
  link(a, 1, b, 2);
  REQUIRE(reaches(a, 1, b, 2));
  REQUIRE(reaches(b, 2, a, 1));
}

TEST_CASE("a plain dialer and a TLS listener (or the reverse) fail, logged, without crashing") {
  TestPki pki;
  auto tls = peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), false));
  Member secure(1, 100, 0, tls), plain(2, 100);
  // The plain member dials the TLS listener with http://.
  secure.transport->addPeer(2, {plain.url()});
  plain.transport->addPeer(1, {"http://127.0.0.1:" + std::to_string(secure.port())});
  REQUIRE_FALSE(reaches(plain, 2, secure, 1, 10));
  REQUIRE(secure.logger.waitToSee("rejected connection"));
  REQUIRE(plain.logger.waitToSee("failed to dial remote peer"));
  // The TLS member dials the plain listener with https://.
  Member secure2(3, 100, 0, tls);
  plain.transport->addPeer(3, {secure2.url()});
  secure2.transport->addPeer(2, {"https://127.0.0.1:" + std::to_string(plain.port())});
  REQUIRE_FALSE(reaches(secure2, 3, plain, 2, 10));
  REQUIRE(secure2.logger.waitToSee("failed to dial remote peer"));
  // Both still serve their own kind.
  Member plain2(4, 100);
  link(plain2, 4, plain, 2);
  REQUIRE(reaches(plain2, 4, plain, 2));
}

TEST_CASE("an https:// listen URL without a certificate is refused as etcd refuses it") {
  CapturingLogger logger;
  TcpTransportOptions o;
  o.localId = 1;
  o.clusterId = 100;
  o.listenUrls = {loopback(0, "https")};
  o.tls = peerTls(PeerTlsOptions{});
  TcpTransport t(o, logger);
  cairn::Status st = t.start([](raftpb::Message&&) {}, {});
  REQUIRE_FALSE(st.isOk());
  REQUIRE(st.message().rfind("cannot listen on TLS for 127.0.0.1:", 0) == 0);
  REQUIRE(st.message().find(": KeyFile and CertFile are not presented") != std::string::npos);
}

TEST_CASE("peer TLS setup errors are etcd's") {
  TestPki pki;
  const TestCertificate a = pki.issue("a", "member", {"127.0.0.1"});
  const TestCertificate b = pki.issue("b", "member", {"127.0.0.1"});
  CapturingLogger logger;
  std::shared_ptr<PeerTls> out;
  PeerTlsOptions o = withCa(pki, a, false);
  o.certFile = pki.dir() + "/missing.crt";
  REQUIRE(PeerTls::create(o, logger, &out).message() ==
          "open " + pki.dir() + "/missing.crt: no such file or directory");
  o = withCa(pki, a, false);
  o.keyFile = b.keyFile;
  REQUIRE(PeerTls::create(o, logger, &out).message() ==
          "tls: private key does not match public key");
  o = withCa(pki, a, false);
  o.allowedCn = "x";
  o.allowedHostname = "y";
  REQUIRE(PeerTls::create(o, logger, &out).message() ==
          "AllowedCN and AllowedHostname are mutually exclusive (cn=\"x\", hostname=\"y\")");
}

TEST_CASE("peer TLS logs etcd's warnings") {
  TestPki pki;
  const TestCertificate a = pki.issue("a", "member", {"127.0.0.1"});
  CapturingLogger logger;
  std::shared_ptr<PeerTls> out;
  PeerTlsOptions o = withCa(pki, a, true);
  o.autoTls = true;
  o.listenUrls = {loopback(2380)};
  REQUIRE(PeerTls::create(o, logger, &out).isOk());
  CHECK(logger.saw("ignoring peer auto TLS since certs given"));
  CHECK(logger.saw("starting with peer TLS", "client-cert-auth = true"));
  CHECK(
      logger.saw("scheme is HTTP while key and cert files are present; ignoring key and cert "
                 "files",
                 "http://127.0.0.1:2380"));
  CHECK(
      logger.saw("scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client "
                 "cert auth for this URL"));
}

TEST_CASE("a cluster query is asked over TLS at an https:// URL") {
  TestPki pki;
  auto tls = peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true));
  CapturingLogger logger;
  TcpTransportOptions o;
  o.localId = 7;
  o.clusterId = 4242;
  o.listenUrls = {loopback(0, "https")};
  o.describeCluster = [] { return std::string("the members"); };
  o.tls = tls;
  TcpTransport t(o, logger);
  REQUIRE(t.start([](raftpb::Message&&) {}, {}).isOk());
  const cairn::Url url = loopback(t.boundPorts().at(0), "https");
  uint64_t clusterId = 0;
  std::string answer;
  cairn::Status st = queryCluster(url, tls.get(), 2000ms, &clusterId, &answer);
  INFO(st.message());
  REQUIRE(st.isOk());
  CHECK(clusterId == 4242);
  CHECK(answer == "the members");
  // Without TLS settings, or with a certificate the listener refuses, no answer.
  CHECK_FALSE(queryCluster(url, nullptr, 2000ms, &clusterId, &answer).isOk());
  TestPki other("other-ca");
  auto stranger = peerTls(withCa(pki, other.issue("x", "member", {"127.0.0.1"}), false));
  CHECK_FALSE(queryCluster(url, stranger.get(), 2000ms, &clusterId, &answer).isOk());
  t.stop();
}

TEST_CASE("a corruption check's HashKV request is asked over TLS at an https:// URL") {
  TestPki pki;
  auto tls = peerTls(withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true));
  CapturingLogger logger;
  TcpTransportOptions o;
  o.localId = 7;
  o.clusterId = 4242;
  o.listenUrls = {loopback(0, "https")};
  o.hashKv = [](int64_t rev, std::function<void(const cairn::Status&, const HashKvAnswer&)> done) {
    done(cairn::Status::ok(), HashKvAnswer{rev, 1, 77});
  };
  o.tls = tls;
  TcpTransport t(o, logger);
  REQUIRE(t.start([](raftpb::Message&&) {}, {}).isOk());
  const cairn::Url url = loopback(t.boundPorts().at(0), "https");
  HashKvAnswer a;
  cairn::Status st = queryHashKv(url, tls.get(), 2000ms, 4242, 9, &a);
  INFO(st.message());
  REQUIRE(st.isOk());
  CHECK(a.revision == 9);
  CHECK(a.hash == 77);
  // Without TLS settings, or with a certificate the listener refuses, no answer.
  CHECK_FALSE(queryHashKv(url, nullptr, 2000ms, 4242, 9, &a).isOk());
  TestPki other("other-ca");
  auto stranger = peerTls(withCa(pki, other.issue("x", "member", {"127.0.0.1"}), false));
  CHECK_FALSE(queryHashKv(url, stranger.get(), 2000ms, 4242, 9, &a).isOk());
  t.stop();
}

TEST_CASE("peer CRL refuses a dialer whose certificate it revokes, reread per connection") {
  TestPki pki;
  const TestCertificate good = pki.issue("good", "member", {"127.0.0.1"});
  const TestCertificate revoked = pki.issue("revoked", "member", {"127.0.0.1"});
  for (const bool der : {false, true}) {
    PeerTlsOptions listener = withCa(pki, pki.issue("m1", "member", {"127.0.0.1"}), true);
    listener.crlFile = pki.revoke(der ? "crl.der" : "crl.pem", {revoked.certFile}, der);
    Member a(1, 100, 0, peerTls(listener));
    Member admitted(2, 100, 0, peerTls(withCa(pki, good, true)));
    Member refused(3, 100, 0, peerTls(withCa(pki, revoked, true)));
    link(admitted, 2, a, 1);
    link(refused, 3, a, 1);
    REQUIRE(reaches(admitted, 2, a, 1));
    REQUIRE_FALSE(reaches(refused, 3, a, 1, 20));
    REQUIRE(a.logger.waitToSee("rejected connection", "transport: certificate serial "));
    REQUIRE(a.logger.waitToSee("rejected connection", " revoked"));
  }
  // A CRL that cannot be read refuses every dialer with a certificate, as etcd.
  PeerTlsOptions listener = withCa(pki, pki.issue("m4", "member", {"127.0.0.1"}), true);
  listener.crlFile = pki.dir() + "/missing.crl";
  Member a(1, 100, 0, peerTls(listener));
  Member dialer(2, 100, 0, peerTls(withCa(pki, good, true)));
  link(dialer, 2, a, 1);
  REQUIRE_FALSE(reaches(dialer, 2, a, 1, 20));
  REQUIRE(a.logger.waitToSee("rejected connection", "open " + listener.crlFile +
                                                        ": no such file or directory"));
}

TEST_CASE("a peer certificate replaced on disk is used from the next connection on") {
  TestPki pki, other("other-ca");
  const TestCertificate m1 = pki.issue("m1", "member", {"127.0.0.1"});
  const TestCertificate m2 = pki.issue("m2", "member", {"127.0.0.1"});
  auto tls1 = peerTls(withCa(pki, m1, true));
  Member a(1, 100, 0, tls1);
  Member b(2, 100, 0, peerTls(withCa(pki, m2, true)));
  link(a, 1, b, 2);
  REQUIRE(reaches(a, 1, b, 2));
  REQUIRE(reaches(b, 2, a, 1));
  // m1's files now hold a certificate of another CA: b refuses a's new
  // connections, so the files were read again.
  const TestCertificate stranger = other.issue("stranger", "member", {"127.0.0.1"});
  std::filesystem::copy_file(stranger.keyFile, m1.keyFile,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(stranger.certFile, m1.certFile,
                             std::filesystem::copy_options::overwrite_existing);
  Member c(3, 100, 0, peerTls(withCa(pki, pki.issue("m3", "member", {"127.0.0.1"}), true)));
  link(a, 1, c, 3);
  REQUIRE_FALSE(reaches(a, 1, c, 3, 20));
  REQUIRE(c.logger.waitToSee("rejected connection", ""));
  // Back to one of the cluster's CA: accepted again.
  const TestCertificate renewed = pki.issue("m1-renewed", "member", {"127.0.0.1"});
  std::filesystem::copy_file(renewed.keyFile, m1.keyFile,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.certFile, m1.certFile,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(reaches(a, 1, c, 3));
}
