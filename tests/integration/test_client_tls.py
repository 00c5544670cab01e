"""Client TLS on https:// client URLs, as etcd 3.4 serves it, for etcd and
Cairn alike: gRPC and HTTP on one TLS port (etcdctl, python-etcd3, curl,
python3-etcd3gw, the Node etcd3 client), client certificates required with
--client-cert-auth, a client certificate revoked by --client-crl-file
refused ("rejected connection"), a certificate replaced on disk served
without a restart, a self-signed certificate with --auto-tls, and etcd's
error for an https URL without a certificate. Certificates are made per run
with the openssl tool."""

import json
import os
import shutil
import subprocess

import etcd3
import pytest

from cairn_harness import Server, cairn_bin, etcdctl, run_binary
from test_certs import issue, make_ca, make_crl, serial_of

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "differential", "node")


def flavours():
    return ["etcd", "cairn"] if cairn_bin() or os.environ.get("CAIRN_REQUIRE_BIN") == "1" \
        else ["etcd"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("certs"))
    ca = make_ca(d)
    server, server_key = issue(d, "server", "server")
    client, client_key = issue(d, "client", "root", usage="clientAuth", san="")
    revoked, revoked_key = issue(d, "revoked", "root", usage="clientAuth", san="")
    return {"ca": ca, "server": server, "server_key": server_key, "client": client,
            "client_key": client_key, "revoked": revoked, "revoked_key": revoked_key,
            "crl": make_crl(d, [revoked])}


class TlsServer(Server):
    """A single member whose client URL is https://, probed over TLS."""

    def __init__(self, tls_args, client_tls, **kwargs):
        super().__init__(extra_args=tls_args, **kwargs)
        self.client_tls = client_tls  # python-etcd3 keyword arguments

    @property
    def endpoint(self):
        return f"https://127.0.0.1:{self.client_port}"

    def args(self):
        plain = f"http://127.0.0.1:{self.client_port}"
        return [a.replace(plain, self.endpoint) for a in super().args()]

    def _probe_range(self):
        try:
            c = self.client(timeout=2)
            try:
                c.get("cairn-harness-ready-probe")
            finally:
                c.close()
            return True, "ok"
        except Exception as e:
            return False, f"probe over TLS: {type(e).__name__}: {e}"

    def client(self, timeout=10):
        return etcd3.client(self.host, self.client_port, timeout=timeout, **self.client_tls)


def curl(*args):
    p = subprocess.run(["curl", "-s", "-S", "--max-time", "5", *args], capture_output=True,
                       text=True)
    return p.returncode, p.stdout


@pytest.mark.parametrize("flavour", flavours())
def test_tls_serves_grpc_and_http_on_one_port(flavour, certs, monkeypatch):
    # requests lets REQUESTS_CA_BUNDLE override a session's own CA bundle
    # (etcd3gw sets session.verify): keep the machine's bundle out of it.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with TlsServer([f"--cert-file={certs['server']}", f"--key-file={certs['server_key']}"],
                   {"ca_cert": certs["ca"]}, flavour=flavour) as s:
        s.start()
        ca = f"--cacert={certs['ca']}"
        etcdctl(s.endpoint, ca, "put", "a", "1").check()
        assert etcdctl(s.endpoint, ca, "get", "a", "--print-value-only").check().out == "1\n"
        c = s.client()
        try:
            assert c.get("a")[0] == b"1"  # python-etcd3 over TLS
        finally:
            c.close()
        rc, out = curl("--cacert", certs["ca"], f"{s.endpoint}/health")
        assert rc == 0 and json.loads(out)["health"] == "true"
        rc, out = curl("--cacert", certs["ca"], f"{s.endpoint}/v3/kv/range", "-d",
                       '{"key":"YQ=="}')
        assert rc == 0 and json.loads(out)["kvs"][0]["value"] == "MQ=="
        from etcd3gw.client import Etcd3Client
        gw = Etcd3Client(host="127.0.0.1", port=s.client_port, protocol="https",
                         ca_cert=certs["ca"], api_path="/v3/")
        assert gw.get("a") == [b"1"]
        if shutil.which("node") and os.path.isdir(os.path.join(NODE_DIR, "node_modules")):
            script = ("const {Etcd3}=require('etcd3');const fs=require('fs');"
                      f"const c=new Etcd3({{hosts:'{s.endpoint}',credentials:{{rootCertificate:"
                      f"fs.readFileSync('{certs['ca']}')}}}});"
                      "c.get('a').string().then(v=>{console.log(v);c.close();})"
                      ".catch(e=>{console.log('error '+e.message);c.close();});")
            p = subprocess.run(["node", "-e", script], cwd=NODE_DIR, capture_output=True,
                               text=True, timeout=30)
            assert p.stdout.strip() == "1", p.stdout + p.stderr
        # Plain text to the TLS port gets nowhere.
        r = etcdctl(f"http://127.0.0.1:{s.client_port}", "--command-timeout=2s", "get", "a")
        assert r.rc != 0
        # A client that does not trust the server's CA is refused.
        assert etcdctl(s.endpoint, "--command-timeout=2s", "get", "a").rc != 0


@pytest.mark.parametrize("flavour", flavours())
def test_client_cert_auth(flavour, certs):
    with TlsServer([f"--cert-file={certs['server']}", f"--key-file={certs['server_key']}",
                    f"--trusted-ca-file={certs['ca']}", "--client-cert-auth"],
                   {"ca_cert": certs["ca"], "cert_cert": certs["client"],
                    "cert_key": certs["client_key"]}, flavour=flavour) as s:
        s.start()
        ca = f"--cacert={certs['ca']}"
        mine = [f"--cert={certs['client']}", f"--key={certs['client_key']}"]
        etcdctl(s.endpoint, ca, *mine, "put", "m", "1").check()
        assert etcdctl(s.endpoint, ca, "--command-timeout=2s", "get", "m").rc != 0
        rc, _ = curl("--cacert", certs["ca"], f"{s.endpoint}/health")
        assert rc != 0
        rc, out = curl("--cacert", certs["ca"], "--cert", certs["client"], "--key",
                       certs["client_key"], f"{s.endpoint}/health")
        assert rc == 0 and json.loads(out)["health"] == "true"


@pytest.mark.parametrize("flavour", flavours())
def test_client_crl_refuses_a_revoked_certificate(flavour, certs):
    with TlsServer([f"--cert-file={certs['server']}", f"--key-file={certs['server_key']}",
                    f"--trusted-ca-file={certs['ca']}", "--client-cert-auth",
                    f"--client-crl-file={certs['crl']}"],
                   {"ca_cert": certs["ca"], "cert_cert": certs["client"],
                    "cert_key": certs["client_key"]}, flavour=flavour) as s:
        s.start()
        ca = f"--cacert={certs['ca']}"
        etcdctl(s.endpoint, ca, f"--cert={certs['client']}", f"--key={certs['client_key']}",
                "put", "c", "1").check()
        revoked = [f"--cert={certs['revoked']}", f"--key={certs['revoked_key']}"]
        assert etcdctl(s.endpoint, ca, *revoked, "--command-timeout=2s", "get", "c").rc != 0
        rc, _ = curl("--cacert", certs["ca"], "--cert", certs["revoked"], "--key",
                     certs["revoked_key"], f"{s.endpoint}/health")
        assert rc != 0
        n = serial_of(certs["revoked"])
        serial = n.to_bytes((n.bit_length() + 7) // 8, "big").hex()
        want = f"transport: certificate serial {serial} revoked"
        assert any(r.get("msg") == "rejected connection" and r.get("error") == want
                   for r in s.log_records()), s.log_tail()


def served_serial(port, ca):
    """The serial of the certificate served on `port` (openssl s_client)."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", ca],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    begin = p.stdout.find("-----BEGIN CERTIFICATE-----")
    end = p.stdout.find("-----END CERTIFICATE-----")
    assert begin >= 0, p.stdout + p.stderr
    from cryptography import x509
    pem = p.stdout[begin:end + len("-----END CERTIFICATE-----")] + "\n"
    return x509.load_pem_x509_certificate(pem.encode()).serial_number


@pytest.mark.parametrize("flavour", flavours())
def test_a_rotated_certificate_is_served_without_a_restart(flavour, certs, tmp_path):
    cert, key = str(tmp_path / "server.pem"), str(tmp_path / "server.key")
    shutil.copy(certs["server"], cert)
    shutil.copy(certs["server_key"], key)
    with TlsServer([f"--cert-file={cert}", f"--key-file={key}"], {"ca_cert": certs["ca"]},
                   flavour=flavour) as s:
        s.start()
        assert served_serial(s.client_port, certs["ca"]) == serial_of(certs["server"])
        d = os.path.dirname(certs["ca"])
        new_cert, new_key = issue(d, f"server-rotated-{flavour}", "server")
        shutil.copy(new_key, key + ".new")
        shutil.copy(new_cert, cert + ".new")
        os.replace(key + ".new", key)
        os.replace(cert + ".new", cert)
        assert served_serial(s.client_port, certs["ca"]) == serial_of(new_cert)
        etcdctl(s.endpoint, f"--cacert={certs['ca']}", "put", "r", "1").check()


@pytest.mark.parametrize("flavour", flavours())
def test_auto_tls(flavour):
    with TlsServer(["--auto-tls"], {}, flavour=flavour) as s:
        # No CA to trust: clients skip verification, as etcd's docs say.
        s._probe_range = lambda: _probe_insecure(s)
        s.start()
        etcdctl(s.endpoint, "--insecure-skip-tls-verify", "--insecure-transport=false", "put",
                "t", "1").check()
        fixtures = os.path.join(s.data_dir, "fixtures", "client")
        assert os.path.isfile(os.path.join(fixtures, "cert.pem"))
        assert os.path.isfile(os.path.join(fixtures, "key.pem"))
        rc, out = curl("-k", f"{s.endpoint}/health")
        assert rc == 0 and json.loads(out)["health"] == "true"


def _probe_insecure(s):
    r = etcdctl(s.endpoint, "--insecure-skip-tls-verify", "--insecure-transport=false",
                "--command-timeout=2s", "get", "probe", timeout=10)
    return r.rc == 0, r.err.strip()


@pytest.mark.parametrize("flavour", flavours())
def test_https_url_without_certificate_is_refused(flavour, tmp_path):
    s = Server(flavour=flavour)
    try:
        url = f"https://127.0.0.1:{s.client_port}"
        args = [f"--data-dir={tmp_path}/d", f"--listen-client-urls={url}",
                f"--advertise-client-urls={url}", f"--listen-peer-urls=http://127.0.0.1:{s.peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{s.peer_port}",
                f"--initial-cluster=n1=http://127.0.0.1:{s.peer_port}", "--name=n1"]
        rc, out, err = run_binary(s.binary(), args)
        assert rc != 0
        assert (f"TLS key/cert (--cert-file, --key-file) must be provided for client url {url} "
                "with HTTPS scheme") in out + err
    finally:
        s.cleanup()
