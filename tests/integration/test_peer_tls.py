"""Peer TLS with etcd's flags, for etcd 3.4 and Cairn alike: 3-member
clusters on https:// peer URLs with certificates made per run by the
openssl tool (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file,
--peer-client-cert-auth), or made by the members themselves
(--peer-auto-tls); writes on one member read on another, and a member
added later joins over TLS. A member whose
certificate another CA signed, or whose certificate has another common name
than --peer-cert-allowed-cn asks for, is refused by the others ("rejected
connection") while the rest of the cluster serves."""

import os

import pytest

from cairn_cluster import Cluster, ClusterMember
from cairn_harness import cairn_bin
from test_certs import issue, make_ca


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
    return {"ca": os.path.join(d, "ca.pem"), **certs}


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
