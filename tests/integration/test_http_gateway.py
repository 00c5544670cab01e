"""One client URL, two protocols: HTTP/1.1 (/health, /version, /metrics, the
grpc-gateway JSON API) next to gRPC (etcdctl) on the same port.

Every assertion was written against etcd 3.4 first (run without CAIRN_BIN):
bodies are compared byte for byte where etcd's are deterministic, and by
shape (keys, base64 values, revisions as strings) where they carry ids.
HTTP goes through curl, as an operator would; python3-etcd3gw is the
gateway's own Python client.
"""

import base64
import http.client
import json
import os
import re
import subprocess
import tempfile
import threading
import time

import pytest

from cairn_harness import Server, reserve_port

try:
    from etcd3gw.client import Etcd3Client
except ImportError:  # Debian's python3-etcd3gw is for /usr/bin/python3
    Etcd3Client = None

CORS = {
    "access-control-allow-headers": "accept, content-type, authorization",
    "access-control-allow-methods": "POST, GET, OPTIONS, PUT, DELETE",
    "access-control-allow-origin": "*",
}


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        s.start()
        yield s


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def curl(server, path, body=None, method=None, data_file=None, port=None):
    """One request with curl; status, lower-cased headers, body bytes."""
    with tempfile.TemporaryDirectory() as d:
        hdr = os.path.join(d, "h")
        out = os.path.join(d, "b")
        args = ["curl", "-s", "-S", "-D", hdr, "-o", out, "-w", "%{http_code}"]
        if method:
            args += ["-X", method]
        if body is not None:
            args += ["--data-binary", body]
        if data_file is not None:
            args += ["--data-binary", "@" + data_file]
        args.append(f"http://127.0.0.1:{port or server.client_port}{path}")
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        headers = {}
        with open(hdr, encoding="latin-1", newline="") as f:
            blocks = f.read().split("\r\n\r\n")
        # The last header block (curl records 100 Continue separately).
        final = [b for b in blocks if b.startswith("HTTP/")][-1]
        for line in final.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        with open(out, "rb") as f:
            return Answer(int(r.stdout), headers, f.read())


def post(server, path, payload):
    return curl(server, path, json.dumps(payload))


def assert_header(h):
    assert set(h) <= {"cluster_id", "member_id", "revision", "raft_term"}
    for k in ("cluster_id", "member_id", "revision", "raft_term"):
        assert re.fullmatch(r"[0-9]+", h[k]), h  # int64 as strings


# ------------------------------------------------------------ plain routes


def test_health(server):
    a = curl(server, "/health")
    assert a.status == 200
    assert a.body == b'{"health":"true"}'
    assert a.headers["content-type"] == "text/plain; charset=utf-8"
    for k, v in CORS.items():
        assert a.headers[k] == v


def test_health_is_get_only(server):
    a = curl(server, "/health", method="POST")
    assert a.status == 405
    assert a.body == b"Method Not Allowed\n"


def test_version(server):
    a = curl(server, "/version")
    assert a.status == 200
    assert a.body == b'{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}'
    assert a.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["/nope", "/v3alpha/kv/range", "/v2/keys", "/v3beta"])
def test_unknown_path_is_go_not_found(server, path):
    a = curl(server, path, method="POST", body="{}")
    assert a.status == 404
    assert a.body == b"404 page not found\n"
    assert a.headers["content-type"] == "text/plain; charset=utf-8"
    assert a.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/v3/kv/nope", "/v3/", "/v3beta/nope"])
def test_unknown_gateway_path_is_gateway_not_found(server, path):
    a = curl(server, path, method="POST", body="{}")
    assert a.status == 404
    assert a.body == b"Not Found\n"
    assert a.headers["x-content-type-options"] == "nosniff"


def test_v3_root_redirects(server):
    a = curl(server, "/v3", method="POST")
    assert a.status == 301
    assert a.headers["location"] == "/v3/"


def test_options_is_cors_preflight(server):
    a = curl(server, "/v3/kv/put", method="OPTIONS")
    assert a.status == 200
    assert a.body == b""
    assert a.headers["access-control-allow-origin"] == "*"


def test_metrics(server):
    a = curl(server, "/metrics")
    assert a.status == 200
    assert a.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = a.body.decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)", line)
        assert m, line
        samples.setdefault(m.group(1), float(m.group(3)))
    assert samples["etcd_server_has_leader"] == 1
    assert samples["etcd_server_is_leader"] == 1
    assert samples["etcd_server_leader_changes_seen_total"] == 1
    assert samples["etcd_server_proposals_committed_total"] >= 1
    assert samples["etcd_server_proposals_applied_total"] >= 1
    assert samples["etcd_server_proposals_pending"] == 0
    assert samples["etcd_server_proposals_failed_total"] == 0
    assert samples["etcd_disk_wal_fsync_duration_seconds_count"] >= 1
    assert samples["process_resident_memory_bytes"] > 1 << 20
    assert samples["process_open_fds"] > 3
    assert samples["process_cpu_seconds_total"] > 0
    assert "# TYPE etcd_server_has_leader gauge" in text
    assert "# TYPE etcd_disk_wal_fsync_duration_seconds histogram" in text
    assert "# TYPE etcd_disk_backend_commit_duration_seconds histogram" in text
    assert samples["etcd_disk_backend_commit_duration_seconds_count"] >= 1
    assert samples["etcd_mvcc_db_total_size_in_bytes"] > 0
    assert 0 < samples["etcd_mvcc_db_total_size_in_use_in_bytes"] <= samples[
        "etcd_mvcc_db_total_size_in_bytes"]
    assert 'etcd_server_version{server_version="3.4.' in text


def metric_samples(server):
    """Every sample of /metrics: {(name, frozenset of labels): value}."""
    text = curl(server, "/metrics").body.decode()
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)", line)
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def test_metrics_follow_keys_watchers_and_grpc_calls(server):
    def value(samples, name, **labels):
        return samples[(name, frozenset(labels.items()))]

    range_ok = dict(grpc_code="OK", grpc_method="Range", grpc_service="etcdserverpb.KV",
                    grpc_type="unary")
    range_started = dict(grpc_method="Range", grpc_service="etcdserverpb.KV",
                         grpc_type="unary")
    before = metric_samples(server)
    # Every method's series exist from the start, errors included.
    assert ("grpc_server_handled_total", frozenset(dict(
        range_ok, grpc_code="Unimplemented").items())) in before
    assert ("grpc_server_started_total", frozenset(dict(
        grpc_method="Watch", grpc_service="etcdserverpb.Watch",
        grpc_type="bidi_stream").items())) in before
    keys = value(before, "etcd_debugging_mvcc_keys_total")
    assert value(before, "etcd_debugging_mvcc_slow_watcher_total") == 0

    server.ctl("put", "metrics/k1", "v").check()
    server.ctl("put", "metrics/k2", "v").check()
    server.ctl("put", "metrics/k2", "w").check()  # not a new key
    for _ in range(3):
        server.ctl("get", "metrics/k1").check()
    watch = subprocess.Popen(["etcdctl", "--endpoints", server.endpoint, "watch", "metrics/"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            after = metric_samples(server)
            if value(after, "etcd_debugging_mvcc_watcher_total") >= 1 or time.time() > deadline:
                break
            time.sleep(0.1)
        assert value(after, "etcd_debugging_mvcc_watcher_total") >= 1
    finally:
        watch.kill()
        watch.wait()
    assert value(after, "etcd_debugging_mvcc_keys_total") == keys + 2
    assert value(after, "grpc_server_handled_total", **range_ok) >= value(
        before, "grpc_server_handled_total", **range_ok) + 3
    assert value(after, "grpc_server_started_total", **range_started) >= value(
        before, "grpc_server_started_total", **range_started) + 3
    server.ctl("del", "metrics/k1").check()
    assert value(metric_samples(server), "etcd_debugging_mvcc_keys_total") == keys + 1


def test_keep_alive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.client_port, timeout=10)
    try:
        for path in ("/health", "/version", "/health"):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            assert r.status == 200
        conn.request("POST", "/v3/kv/range", body=json.dumps({"key": b64("ka")}))
        r = conn.getresponse()
        assert r.status == 200
        assert "header" in json.loads(r.read())
    finally:
        conn.close()


# ------------------------------------------------------------ the KV gateway


def test_put_range_delete(server):
    a = post(server, "/v3/kv/put", {"key": b64("gw/a"), "value": b64("alpha")})
    assert a.status == 200, a.body
    assert a.headers["content-type"] == "application/json"
    put = a.json()
    assert list(put) == ["header"]
    assert_header(put["header"])
    rev = int(put["header"]["revision"])

    got = post(server, "/v3/kv/range", {"key": b64("gw/a")}).json()
    assert list(got) == ["header", "kvs", "count"]
    assert got["count"] == "1"
    assert got["kvs"] == [{"key": b64("gw/a"), "create_revision": str(rev),
                           "mod_revision": str(rev), "version": "1", "value": b64("alpha")}]

    missing = post(server, "/v3/kv/range", {"key": b64("gw/none")}).json()
    assert list(missing) == ["header"]  # defaults omitted: no kvs, no count

    d = post(server, "/v3/kv/deleterange", {"key": b64("gw/a"), "prev_kv": True}).json()
    assert d["deleted"] == "1"
    assert d["prev_kvs"][0]["value"] == b64("alpha")
    assert d["header"]["revision"] == str(rev + 1)


def test_v3beta_alias(server):
    post(server, "/v3beta/kv/put", {"key": b64("gw/beta"), "value": b64("b")})
    got = post(server, "/v3beta/kv/range", {"key": b64("gw/beta")}).json()
    assert got["kvs"][0]["value"] == b64("b")


def test_txn_enums_and_nested_responses(server):
    post(server, "/v3/kv/put", {"key": b64("gw/t"), "value": b64("v")})
    t = post(server, "/v3/kv/txn", {
        "compare": [{"key": b64("gw/t"), "result": "EQUAL", "target": "VALUE", "value": b64("v")}],
        "success": [{"request_range": {"key": b64("gw/t")}}],
        "failure": [{"request_put": {"key": b64("gw/t"), "value": b64("w")}}],
    }).json()
    assert t["succeeded"] is True
    inner = t["responses"][0]["response_range"]
    assert list(inner["header"]) == ["revision"]
    assert inner["kvs"][0]["value"] == b64("v")
    f = post(server, "/v3/kv/txn", {
        "compare": [{"key": b64("gw/t"), "result": "EQUAL", "target": "VALUE", "value": b64("x")}],
        "failure": [{"request_put": {"key": b64("gw/t"), "value": b64("w")}}],
    }).json()
    assert "succeeded" not in f  # false is a default: omitted
    assert f["responses"] == [{"response_put": {"header": {"revision": f["header"]["revision"]}}}]


def test_compaction(server):
    rev = int(post(server, "/v3/kv/put", {"key": b64("gw/c"), "value": b64("1")})
              .json()["header"]["revision"])
    ok = post(server, "/v3/kv/compaction", {"revision": str(rev)})
    assert ok.status == 200
    assert list(ok.json()) == ["header"]
    future = post(server, "/v3/kv/compaction", {"revision": rev + 1000})
    assert future.status == 400
    msg = "etcdserver: mvcc: required revision is a future revision"
    assert future.json() == {"error": msg, "message": msg, "code": 11}


def test_unknown_fields_are_ignored_and_empty_body_is_empty_request(server):
    a = post(server, "/v3/kv/range", {"key": b64("gw/x"), "bogus": 1})
    assert a.status == 200
    e = curl(server, "/v3/kv/range", body="", method="POST")
    assert e.status == 400
    msg = "etcdserver: key is not provided"
    assert e.body == json.dumps({"error": msg, "message": msg, "code": 3},
                                separators=(",", ":")).encode()


def test_error_body_for_kernel_error(server):
    a = post(server, "/v3/kv/put", {"value": b64("v")})
    assert a.status == 400
    assert a.headers["content-type"] == "application/json"
    assert a.body == (b'{"error":"etcdserver: key is not provided",'
                      b'"message":"etcdserver: key is not provided","code":3}')


@pytest.mark.parametrize("body", ["{bad", '{"key":"Zm9v","limit":"x"}', '{"key":"!!"}', "[]"])
def test_malformed_json_is_invalid_argument(server, body):
    a = curl(server, "/v3/kv/range", body=body)
    assert a.status == 400
    j = a.json()
    assert set(j) == {"error", "message", "code"}
    assert j["code"] == 3
    assert j["error"] == j["message"] and j["error"]


def test_gateway_route_is_post_only(server):
    a = curl(server, "/v3/kv/range")
    assert a.status == 405
    assert a.body == b"Method Not Allowed\n"


def test_request_over_max_request_bytes(server, tmp_path):
    # Over --max-request-bytes (1.5 MiB): the kernel's "request is too large".
    p = tmp_path / "big.json"
    p.write_text(json.dumps({"key": b64("gw/big"), "value": b64(b"x" * 1600000)}))
    a = curl(server, "/v3/kv/put", data_file=str(p))
    assert a.status == 400
    msg = "etcdserver: request is too large"
    assert a.json() == {"error": msg, "message": msg, "code": 3}
    # Over the gRPC receive limit (max + 512 KiB): refused before the kernel.
    p.write_text(json.dumps({"key": b64("big"), "value": b64(b"x" * 2500000)}))
    a = curl(server, "/v3/kv/put", data_file=str(p))
    assert a.status == 429
    msg = "grpc: received message larger than max (2500010 vs. 2097152)"
    assert a.json() == {"error": msg, "message": msg, "code": 8}


def test_lease_routes(server):
    g = post(server, "/v3/lease/grant", {"TTL": 60}).json()
    lease_id = g["ID"]
    assert g["TTL"] == "60" and re.fullmatch(r"[0-9]+", lease_id)
    ttl = post(server, "/v3/kv/lease/timetolive", {"ID": lease_id}).json()
    assert ttl["grantedTTL"] == "60" and ttl["ID"] == lease_id
    leases = post(server, "/v3/lease/leases", {}).json()
    assert {"ID": lease_id} in leases["leases"]
    r = post(server, "/v3/lease/revoke", {"ID": lease_id})
    assert r.status == 200 and list(r.json()) == ["header"]
    unknown = post(server, "/v3/lease/timetolive", {"ID": lease_id}).json()
    assert unknown["TTL"] == "-1"
    gone = post(server, "/v3/lease/revoke", {"ID": lease_id})
    assert gone.status == 404
    msg = "etcdserver: requested lease not found"
    assert gone.json() == {"error": msg, "message": msg, "code": 5}


def test_member_list_and_status(server):
    m = post(server, "/v3/cluster/member/list", {}).json()
    assert list(m) == ["header", "members"]
    assert set(m["header"]) == {"cluster_id", "member_id", "raft_term"}  # no revision
    (member,) = m["members"]
    assert member["ID"] == m["header"]["member_id"]
    assert member["clientURLs"] == [server.endpoint]
    s = post(server, "/v3/maintenance/status", {}).json()
    assert s["version"] == "3.4.23"
    assert s["leader"] == s["header"]["member_id"]
    assert re.fullmatch(r"[0-9]+", s["dbSize"]) and re.fullmatch(r"[0-9]+", s["raftIndex"])


# ------------------------------------------------------------ etcd3gw


@pytest.mark.skipif(Etcd3Client is None, reason="python3-etcd3gw not importable")
def test_etcd3gw_client(server):
    c = Etcd3Client(host="127.0.0.1", port=server.client_port, api_path="/v3/")
    assert c.put("gw3/a", "one") is True
    assert c.get("gw3/a") == [b"one"]
    assert c.create("gw3/a", "again") is False
    assert c.create("gw3/b", "two") is True
    assert c.replace("gw3/b", "two", "three") is True
    assert c.replace("gw3/b", "two", "four") is False
    assert sorted(v for v, _ in c.get_prefix("gw3/")) == [b"one", b"three"]
    assert c.delete("gw3/a") is True
    assert c.get("gw3/a") == []
    assert c.delete_prefix("gw3/") is True
    assert c.get_all() is not None
    assert c.status()["version"] == "3.4.23"
    assert len(c.members()) == 1


# ------------------------------------------------------------ both protocols


def test_grpc_and_http_on_one_port_concurrently(server):
    errors = []

    def grpc_writer():
        for i in range(15):
            r = server.ctl("put", f"both/grpc/{i}", str(i))
            if r.rc != 0:
                errors.append(("etcdctl", r.err))

    def http_writer():
        for i in range(15):
            a = post(server, "/v3/kv/put", {"key": b64(f"both/http/{i}"), "value": b64(str(i))})
            if a.status != 200:
                errors.append(("curl", a.body))
            if curl(server, "/health").status != 200:
                errors.append(("health", i))

    threads = [threading.Thread(target=grpc_writer), threading.Thread(target=http_writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    # Each side sees the other's writes.
    out = server.ctl("get", "both/http/", "--prefix", "--keys-only").check().out.split()
    assert len(out) == 15
    got = post(server, "/v3/kv/range", {"key": b64("both/grpc/"),
                                        "range_end": b64("both/grpc0")}).json()
    assert got["count"] == "15"


def test_listen_metrics_urls():
    port = reserve_port()
    try:
        url = f"http://127.0.0.1:{port.port}"
        with Server(extra_args=[f"--listen-metrics-urls={url}"]) as s:
            s.start()
            m = curl(s, "/metrics", port=port.port)
            assert m.status == 200 and b"etcd_server_has_leader 1" in m.body
            assert curl(s, "/health", port=port.port).body == b'{"health":"true"}'
            for path in ("/version", "/v3/kv/range"):
                a = curl(s, path, body="{}", port=port.port)
                assert a.status == 404 and a.body == b"404 page not found\n"
    finally:
        port.release()


def test_metrics_pass_promtool(server):
    # Prometheus' own checker: the exposition parses, and names, types and
    # help texts follow its rules (promtool from Debian's prometheus).
    server.ctl("put", "promtool/k", "v").check()
    text = curl(server, "/metrics").body
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       timeout=60)
    out = r.stdout.decode() + r.stderr.decode()
    # 1: the text does not parse. 3: lint findings, which etcd's own names
    # draw too (etcd_server_proposals_committed_total is a gauge, ...): they
    # are kept as etcd spells them, for its dashboards; anything else
    # (grpc_*, process_*, cairn_*) must be clean.
    assert r.returncode in (0, 3), out
    for line in out.splitlines():
        assert line.split()[0].startswith("etcd_"), out
