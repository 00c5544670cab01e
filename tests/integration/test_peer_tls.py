"""Peer TLS with etcd's flags, for etcd 3.4 and Cairn alike: 3-member
clusters on https:// peer URLs with certificates made per run by the
openssl tool (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file,
--peer-client-cert-auth), or made by the members themselves
(--peer-auto-tls); writes on one member read on another, and a member
added later joins over TLS. A member whose
certificate another CA signed, or whose certificate has another common name
than --peer-cert-allowed-cn asks for, is refused by the others ("rejected
connection") while the rest of the cluster serves. A member whose
certificate the others' --peer-crl-file revokes cannot join: they refuse
its connections ("transport: certificate serial <hex> revoked"). A follower
left behind by more than the leader keeps catches up by a snapshot sent
over TLS (Cairn only: etcd 3.4 has no --experimental-snapshot-catchup-entries
and keeps 5,000 entries; CAIRN_SNAPSHOT_ETCD=1 runs etcd with 5,600 keys).
A member's peer certificate replaced on disk is served from its next
connection on, without a restart."""

import os
import shutil
import subprocess
import time

import pytest

from cairn_cluster import Cluster, ClusterMember
from cairn_harness import cairn_bin
from test_certs import issue, make_ca, make_crl, serial_of


def flavours():
    return ["etcd", "cairn"] if cairn_bin() or os.environ.get("CAIRN_REQUIRE_BIN") == "1" \
        else ["etcd"]


class TlsPeerMember(ClusterMember):
    """A member on https:// peer URLs with its own TLS flags."""

    tls_args = ()

    @property
    def peer_url(self):
        return f"https://{self.host}:{self.peer_port}"

    def args(self):
        plain = f"http://{self.host}:{self.peer_port}"
        return [a.replace(plain, self.peer_url) for a in super().args()] + list(self.tls_args)


class TlsPeerCluster(Cluster):
    def _make_member(self, i, **kwargs):
        return TlsPeerMember(self, f"m{i + 1}", **kwargs)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("peer-certs"))
    make_ca(d)
    make_ca(d, name="other-ca", cn="other-ca")
    certs = {name: issue(d, name, "member") for name in ("m1", "m2", "m3", "m4")}
    certs["stranger"] = issue(d, "stranger", "member", ca="other-ca")
    certs["intruder"] = issue(d, "intruder", "intruder")
    certs["revoked"] = issue(d, "revoked", "member")
    crl = make_crl(d, [certs["revoked"][0]])
    return {"ca": os.path.join(d, "ca.pem"), "crl": crl, **certs}


def ca_args(pki, cert, *more):
    cert_file, key_file = pki[cert]
    return [f"--peer-cert-file={cert_file}", f"--peer-key-file={key_file}",
            f"--peer-trusted-ca-file={pki['ca']}", "--peer-client-cert-auth", *more]


def put_on_one_get_on_another(cluster, key):
    m1, _, m3 = cluster.members
    m1.ctl("put", key, "over-tls").check()
    got = m3.ctl("get", key, "--print-value-only").check()
    assert got.out.strip() == "over-tls"


def messages(member):
    return [r.get("msg") for r in member.log_records()]


@pytest.mark.parametrize("flavour", flavours())
def test_cluster_over_peer_tls_with_ca_certificates(flavour, pki):
    # Without the strict check, a member is added at once (no 5 s of
    # connected voters first).
    no_wait = ["--strict-reconfig-check=false"]
    with TlsPeerCluster(size=3, flavour=flavour, extra_args=no_wait) as c:
        for m in c.members:
            m.tls_args = ca_args(pki, m.name)
        c.start()
        put_on_one_get_on_another(c, "peer-tls")
        assert "starting with peer TLS" in messages(c.members[0])
        # A member joining over TLS asks the others for the cluster first.
        m4 = TlsPeerMember(c, "m4", flavour=flavour, workdir=os.path.join(c.workdir, "m4"),
                           extra_args=no_wait)
        m4.cluster_state = "existing"
        m4.tls_args = ca_args(pki, "m4")
        c.members.append(m4)
        c.members[0].ctl("member", "add", "m4", f"--peer-urls={m4.peer_url}").check()
        m4.start()
        assert m4.ctl("get", "peer-tls", "--print-value-only").check().out.strip() == "over-tls"


@pytest.mark.parametrize("flavour", flavours())
def test_cluster_over_peer_auto_tls(flavour):
    with TlsPeerCluster(size=3, flavour=flavour) as c:
        for m in c.members:
            m.tls_args = ["--peer-auto-tls"]
        c.start()
        put_on_one_get_on_another(c, "peer-auto-tls")
        for m in c.members:
            assert os.path.exists(os.path.join(m.data_dir, "fixtures", "peer", "cert.pem"))


@pytest.mark.parametrize("flavour", flavours())
@pytest.mark.parametrize("refused", ["stranger", "intruder"])
def test_a_member_with_a_refused_certificate_is_kept_out(flavour, refused, pki):
    """`stranger`: a certificate of another CA, refused by
    --peer-client-cert-auth; `intruder`: the cluster's CA but another CN
    than --peer-cert-allowed-cn."""
    with TlsPeerCluster(size=3, flavour=flavour) as c:
        m1, m2, m3 = c.members
        allowed = ["--peer-cert-allowed-cn=member"] if refused == "intruder" else []
        m1.tls_args = ca_args(pki, "m1", *allowed)
        m2.tls_args = ca_args(pki, "m2", *allowed)
        m3.tls_args = ca_args(pki, refused, *allowed)
        m3.start(wait=False)
        c.start(members=[m1, m2])
        m1.ctl("put", "k", "v").check()
        assert m2.ctl("get", "k", "--print-value-only").check().out.strip() == "v"
        # m3 hears the leader but its answers are refused: no linearizable read.
        r = m3.ctl("--command-timeout=2s", "get", "k", timeout=20)
        assert r.rc != 0
        assert m3.proc.poll() is None  # refused, not crashed
        assert any(m == "rejected connection" for m in messages(m1) + messages(m2))


def go_serial_hex(cert_path):
    """The serial as etcd prints it (%x of its big-endian bytes)."""
    n = serial_of(cert_path)
    return n.to_bytes((n.bit_length() + 7) // 8, "big").hex()


@pytest.mark.parametrize("flavour", flavours())
def test_a_member_whose_certificate_is_revoked_cannot_join(flavour, pki):
    no_wait = ["--strict-reconfig-check=false"]
    with TlsPeerCluster(size=2, flavour=flavour, extra_args=no_wait) as c:
        m1, m2 = c.members
        crl = f"--peer-crl-file={pki['crl']}"
        m1.tls_args = ca_args(pki, "m1", crl)
        m2.tls_args = ca_args(pki, "m2", crl)
        c.start()
        assert "crl-file = " + pki["crl"] in m1.log_text()
        m3 = TlsPeerMember(c, "m3", flavour=flavour, workdir=os.path.join(c.workdir, "m3"),
                           extra_args=no_wait)
        m3.cluster_state = "existing"
        m3.tls_args = ca_args(pki, "revoked", crl)
        c.members.append(m3)
        m1.ctl("member", "add", "m3", f"--peer-urls={m3.peer_url}").check()
        m3.start(wait=False)
        # Its connections are refused, for the CRL, by the members it dials.
        want = f"transport: certificate serial {go_serial_hex(pki['revoked'][0])} revoked"
        deadline = time.monotonic() + 20
        refused = []
        while time.monotonic() < deadline and not refused:
            refused = [r for m in (m1, m2) for r in m.log_records()
                       if r.get("msg") == "rejected connection" and r.get("error") == want]
            time.sleep(0.2)
        assert refused, m1.log_tail()
        # It never serves as a member: no linearizable read through it.
        r = m3.ctl("--command-timeout=2s", "get", "k", timeout=20)
        assert r.rc != 0
        # The two others (with the CRL, certificates it does not list) still
        # make a quorum of three.
        m1.ctl("put", "k", "v").check()
        assert m2.ctl("get", "k", "--print-value-only").check().out.strip() == "v"


def test_lagging_follower_catches_up_by_snapshot_over_peer_tls(pki):
    """A follower killed while the others write past the leader's log
    catches up by a snapshot streamed over the TLS peer connection."""
    import test_cluster_snapshot as snap

    if os.environ.get("CAIRN_SNAPSHOT_ETCD") == "1":
        flavour, keys = "etcd", 5600
    elif cairn_bin():
        flavour, keys = "cairn", 1200
    else:
        pytest.skip("Cairn only (set CAIRN_SNAPSHOT_ETCD=1 for etcd's run)")
    with TlsPeerCluster(size=3, flavour=flavour, extra_args=snap.snapshot_args(flavour)) as c:
        for m in c.members:
            m.tls_args = ca_args(pki, m.name)
        snap.lag_and_catch_up(c, keys)
        assert any("sent database snapshot" == r.get("msg") and r.get("bytes", 0) > 0
                   for m in c.members for r in m.log_records())


def served_serial(port, pki, cert):
    """The serial of the certificate a peer listener serves (openssl s_client,
    presenting `cert`)."""
    cert_file, key_file = pki[cert]
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-cert",
                        cert_file, "-key", key_file, "-CAfile", pki["ca"]],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    begin = p.stdout.find("-----BEGIN CERTIFICATE-----")
    end = p.stdout.find("-----END CERTIFICATE-----")
    assert begin >= 0, p.stdout + p.stderr
    from cryptography import x509
    pem = p.stdout[begin:end + len("-----END CERTIFICATE-----")] + "\n"
    return x509.load_pem_x509_certificate(pem.encode()).serial_number


@pytest.mark.parametrize("flavour", flavours())
def test_a_rotated_peer_certificate_is_served_without_a_restart(flavour, pki, tmp_path):
    d = os.path.dirname(pki["ca"])
    with TlsPeerCluster(size=3, flavour=flavour) as c:
        m1, m2, m3 = c.members
        # m1 reads its pair from files of its own, replaced below.
        cert, key = str(tmp_path / "m1.pem"), str(tmp_path / "m1.key")
        shutil.copy(pki["m1"][0], cert)
        shutil.copy(pki["m1"][1], key)
        pki_m1 = dict(pki, m1=(cert, key))
        for m in c.members:
            m.tls_args = ca_args(pki_m1, m.name)
        c.start()
        put_on_one_get_on_another(c, "before-rotation")
        assert served_serial(m1.peer_port, pki, "m2") == serial_of(pki["m1"][0])
        new_cert, new_key = issue(d, f"m1-rotated-{flavour}", "member")
        shutil.copy(new_key, key + ".new")
        shutil.copy(new_cert, cert + ".new")
        os.replace(key + ".new", key)
        os.replace(cert + ".new", cert)
        assert served_serial(m1.peer_port, pki, "m2") == serial_of(new_cert)
        # Connections cut: m2 restarts and dials m1 anew, which answers
        # with the new certificate; the cluster goes on.
        m2.stop()
        m2.start()
        put_on_one_get_on_another(c, "after-rotation")
        assert m2.ctl("get", "after-rotation", "--print-value-only").check().out.strip() \
            == "over-tls"
