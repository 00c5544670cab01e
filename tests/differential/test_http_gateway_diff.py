"""Differential curl-style session over the HTTP side of the client port:
the same requests (KV, lease and its /v3/kv/lease aliases, cluster,
maintenance, auth, lock, election, the watch and keep-alive streams, /health,
/version, unknown paths, wrong methods, oversized and malformed bodies) sent
with Python's http.client (what curl sends: HTTP/1.1 POST with a JSON body)
to a fresh etcd 3.4 and to a fresh Cairn. Each answer's status, content type
and body (parsed as JSON when it is JSON) must be equal; only ids, terms, raft
indexes, sizes and URLs that depend on the server's ports are normalised.

Bad bodies cover what etcd's gateway reads with Go's encoding/json and
golang/protobuf's jsonpb: syntax errors, wrong types for every kind of field,
bad base64, unknown enum names, quoted and unquoted int64s, null, trailing
text after the first value, unknown fields."""

import base64
import http.client
import json
import re
import socket
import time

import pytest

from differential_run import assert_same_records, record, require_cairn

LEASE = 0x2A  # fixed so lock keys and lease answers are the same on both


def b64(s):
    return base64.b64encode(s.encode()).decode()


# Fields whose values depend on which server answered, not on behaviour.
VOLATILE = {"cluster_id", "member_id", "raft_term", "ID", "leader", "raftIndex", "raftTerm",
            "raftAppliedIndex", "dbSize", "dbSizeInUse", "memberID"}


def normalise(value):
    if isinstance(value, dict):
        return {k: ("<n>" if k in VOLATILE else normalise(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", value)
    return value


def render_body(content_type, raw):
    text = raw.decode("utf-8", "replace")
    if content_type and content_type.startswith("application/json"):
        try:
            return normalise(json.loads(text))
        except ValueError:
            return ("not json", text)
    return text


class Http:
    def __init__(self, server):
        self.host = server.host
        self.port = server.client_port

    def call(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            res = conn.getresponse()
            raw = res.read()
            ctype = res.getheader("Content-Type")
            return (method, path, body if body is None or len(body) < 200 else "<%d bytes>" % len(body),
                    res.status, ctype, render_body(ctype, raw))
        finally:
            conn.close()

    def stream(self, path, body, objects):
        """Posts `body` to a streaming route and reads `objects` JSON objects
        from the chunked answer (one per line), then hangs up. An answer that
        is not chunked (a call that failed at once) is read whole."""
        sock = socket.create_connection((self.host, self.port), timeout=3)
        try:
            req = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
            sock.sendall(req)
            data = b""
            deadline = time.time() + 3
            while time.time() < deadline:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                data += chunk
                head, sep, rest = data.partition(b"\r\n\r\n")
                if not sep:
                    continue
                headers = head.decode().lower()
                status = int(head.split(b" ")[1])
                if "transfer-encoding: chunked" not in headers:
                    length = int(re.search(r"content-length: (\d+)", headers).group(1))
                    if len(rest) >= length:
                        return (path, body, status, "whole", render_body(
                            "application/json", rest[:length]))
                    continue
                got = [json.loads(line) for line in dechunk(rest).split(b"\n") if line.strip()]
                if len(got) >= objects:
                    return (path, body, status, "chunked", [normalise(o) for o in got[:objects]])
            return (path, body, "incomplete", data[:300])
        finally:
            sock.close()


def dechunk(buf):
    """The payload of the complete chunks at the start of `buf`."""
    payload = b""
    while True:
        size_line, sep, tail = buf.partition(b"\r\n")
        if not sep:
            return payload
        size = int(size_line, 16)
        if size == 0 or len(tail) < size + 2:
            return payload
        payload += tail[:size]
        buf = tail[size + 2:]


BAD_BODIES = [
    "{", "{\"key\"", "{\"key\":", "{\"key\":\"YQ==\"", "[", "]", "}", "x", "tru", "nul",
    "{\"key\" \"YQ==\"}", "{\"key\":\"YQ==\",}", "{\"key\":\"YQ==\" \"value\":1}",
    "{'key':'YQ=='}", "{\"key\":\"a\nb\"}", "{\"key\":\"\\q\"}", "{\"key\":\"\\u12G4\"}",
    "{\"key\":-}", "{\"key\":01}", "{\"key\":1.}", "{\"key\":1e}", "{\"key\":\u00e9}",
    "[]", "[1]", "1", "\"s\"", "true", "null", "  ",
    "{\"key\":5}", "{\"key\":true}", "{\"key\":{}}", "{\"key\":\"!!!\"}", "{\"key\":\"YQ\"}",
    "{\"key\":\"YQ=\"}", "{\"key\":\"YWJj=\"}", "{\"key\":\"Y\\nQ==\"}", "{\"key\":[97,98]}",
    "{\"key\":[300]}", "{\"key\":[\"a\"]}", "{\"key\":null}",
    "{\"key\":\"YQ==\",\"lease\":\"abc\"}", "{\"key\":\"YQ==\",\"lease\":true}",
    "{\"key\":\"YQ==\",\"lease\":1.5}", "{\"key\":\"YQ==\",\"lease\":\"1.5\"}",
    "{\"key\":\"YQ==\",\"lease\":\"18446744073709551616\"}",
    "{\"key\":\"YQ==\",\"lease\":9223372036854775808}", "{\"key\":\"YQ==\",\"lease\":\"\"}",
    "{\"key\":\"YQ==\",\"lease\":\"{}\"}", "{\"key\":\"YQ==\",\"lease\":\"null\"}",
    "{\"key\":\"YQ==\",\"lease\":\" 7 \"}", "{\"key\":\"YQ==\",\"lease\":[]}",
    "{\"key\":\"YQ==\",\"prev_kv\":\"yes\"}", "{\"key\":\"YQ==\",\"prev_kv\":1}",
    "{\"key\":\"YQ==\",\"prevKv\":true,\"prev_kv\":\"x\"}",
    "{\"key\":\"YQ==\",\"unknown\":{\"deep\":[1,2]}}", "{\"key\":\"YQ==\"} trailing",
    "{\"key\":\"YQ==\"}{\"key\":\"Yg==\"}", "{\"key\":\"YQ==\",\"key\":\"Yg==\"}",
    "{\"key\":\"\\ud800\"}", "{\"k\\u0065y\":\"YQ==\"}", "{\"key\":\"YWJj\\r\\nZA==\"}",
    "{\"key\":\"YQ==\",\"lease\":\"0x10\"}", "{\"key\":\"YQ==\",\"lease\":-0}",
    "{\"key\":\"YQ==\",\"lease\":1e2}", "{\"key\":\"YQ==\",\"lease\":\"\\u0031\"}",
    "{\"key\":\"YQ==\",\"ignore_value\":true,\"value\":\"YQ==\"}",
    "{\"key\":\"\x01\"}", "{\"key\":\"YQ==\", \"\xff\":1}", "{\"key\":\"YQ==\"\x7f}",
    "[" * 10001, "{\"a\":" * 3000 + "1" + "}" * 3000,
]

RANGE_BAD = [
    "{\"key\":\"YQ==\",\"sort_order\":\"NOPE\"}", "{\"key\":\"YQ==\",\"sort_order\":\"DESCEND\"}",
    "{\"key\":\"YQ==\",\"sort_order\":7}", "{\"key\":\"YQ==\",\"sort_order\":\"1\"}",
    "{\"key\":\"YQ==\",\"sort_order\":4294967296}", "{\"key\":\"YQ==\",\"sort_target\":true}",
    "{\"key\":\"YQ==\",\"limit\":\"x\"}", "{\"key\":\"YQ==\",\"limit\":-1}",
    "{\"key\":\"YQ==\",\"revision\":\"-5\"}",
]

TXN_BAD = [
    "{\"compare\":{}}", "{\"compare\":[1]}", "{\"compare\":[{\"result\":\"NOPE\"}]}",
    "{\"success\":[{\"request_put\":\"x\"}]}",
    "{\"success\":[{\"request_put\":{\"key\":\"YQ==\",\"lease\":\"q\"}}]}",
    "{\"compare\":[{\"key\":\"YQ==\",\"target\":\"VALUE\",\"value\":\"YQ==\"}],"
    "\"success\":[{\"requestPut\":{\"key\":\"Yg==\",\"value\":\"Yg==\"}}]}",
    "{\"success\":[{\"request_txn\":{\"success\":[{\"request_range\":{\"key\":\"YQ==\"}}]}}]}",
    "{\"success\":[{\"request_txn\":{\"success\":[{\"request_range\":{\"key\":7}}]}}]}",
    "{\"compare\":null,\"success\":[]}",
]


def session(server):
    h = Http(server)
    out = []
    add = out.append
    # KV.
    add(h.call("POST", "/v3/kv/put", json.dumps({"key": b64("a"), "value": b64("1")})))
    add(h.call("POST", "/v3/kv/put", json.dumps({"key": b64("b"), "value": b64("2"),
                                                  "prev_kv": True})))
    add(h.call("POST", "/v3/kv/put", json.dumps({"key": b64("a"), "value": b64("3"),
                                                  "prevKv": True})))
    add(h.call("POST", "/v3/kv/range", json.dumps({"key": b64("a"), "range_end": b64("z")})))
    add(h.call("POST", "/v3beta/kv/range", json.dumps({"key": b64("a"), "count_only": True})))
    add(h.call("POST", "/v3/kv/range", json.dumps({"key": b64("a"), "range_end": b64("z"),
                                                    "sort_order": "DESCEND", "limit": "1"})))
    add(h.call("POST", "/v3/kv/range", json.dumps({"key": b64("a"), "revision": 99})))
    add(h.call("POST", "/v3/kv/txn", json.dumps({
        "compare": [{"key": b64("a"), "target": "VALUE", "result": "EQUAL", "value": b64("3")}],
        "success": [{"request_put": {"key": b64("c"), "value": b64("4")}},
                    {"request_range": {"key": b64("a")}}],
        "failure": [{"request_delete_range": {"key": b64("a")}}]})))
    add(h.call("POST", "/v3/kv/deleterange", json.dumps({"key": b64("c"), "prev_kv": True})))
    add(h.call("POST", "/v3/kv/compaction", json.dumps({"revision": 2})))
    add(h.call("POST", "/v3/kv/compaction", json.dumps({"revision": 2})))
    add(h.call("POST", "/v3/kv/range", json.dumps({"key": b64("a"), "revision": 1})))
    add(h.call("POST", "/v3/kv/put", json.dumps({"value": b64("x")})))
    add(h.call("POST", "/v3/kv/deleterange", json.dumps({"key": b64("b"), "range_end": b64("a")})))
    # Leases, with the /v3/kv/lease aliases.
    add(h.call("POST", "/v3/lease/grant", json.dumps({"TTL": 60, "ID": LEASE})))
    add(h.call("POST", "/v3/lease/grant", json.dumps({"TTL": 60, "ID": LEASE})))
    add(h.call("POST", "/v3/kv/put", json.dumps({"key": b64("l"), "value": b64("v"),
                                                  "lease": LEASE})))
    add(h.call("POST", "/v3/kv/put", json.dumps({"key": b64("l"), "lease": 999})))
    add(h.call("POST", "/v3/lease/timetolive", json.dumps({"ID": LEASE, "keys": True})))
    add(h.call("POST", "/v3/kv/lease/timetolive", json.dumps({"ID": 12345})))
    add(h.call("POST", "/v3/lease/leases", "{}"))
    add(h.call("POST", "/v3/kv/lease/leases", "{}"))
    add(h.stream("/v3/lease/keepalive", json.dumps({"ID": LEASE}), 1))
    # Lock and election on the lease.
    add(h.call("POST", "/v3/lock/lock", json.dumps({"name": b64("lk"), "lease": LEASE})))
    add(h.call("POST", "/v3/election/campaign", json.dumps({"name": b64("el"), "lease": LEASE,
                                                            "value": b64("me")})))
    add(h.call("POST", "/v3/election/leader", json.dumps({"name": b64("el")})))
    add(h.call("POST", "/v3/election/leader", json.dumps({"name": b64("none")})))
    add(h.call("POST", "/v3/lock/unlock", json.dumps({"key": b64("lk/%x" % LEASE)})))
    add(h.call("POST", "/v3/lease/revoke", json.dumps({"ID": LEASE})))
    add(h.call("POST", "/v3/kv/lease/revoke", json.dumps({"ID": LEASE})))
    # Watch: a create, then history from revision 1 is compacted; from 3 it is not.
    add(h.stream("/v3/watch", json.dumps({"create_request": {"key": b64("a"),
                                                             "start_revision": 3}}), 2))
    add(h.stream("/v3/watch", json.dumps({"create_request": {"key": b64("a"),
                                                             "start_revision": 1}}), 2))
    add(h.stream("/v3/watch", "{\"create_request\":{\"key\":5}}", 1))
    add(h.stream("/v3/watch", "{", 1))
    add(h.stream("/v3/watch", json.dumps({"create_request": {"key": b64("a")}}) + " {\"x\":", 1))
    add(h.stream("/v3/watch", "[]", 1))
    add(h.stream("/v3/lease/keepalive", "{\"ID\":\"q\"}", 1))
    add(h.stream("/v3/election/observe", "{\"name\":5}", 1))
    # Cluster, maintenance, auth.
    add(h.call("POST", "/v3/cluster/member/list", "{}"))
    add(h.call("POST", "/v3/maintenance/status", "{}"))
    add(h.call("POST", "/v3/maintenance/defragment", "{}"))
    add(h.call("POST", "/v3/auth/user/add", json.dumps({"name": "u1", "password": "p"})))
    add(h.call("POST", "/v3/auth/user/add", json.dumps({"name": "u1", "password": "p"})))
    add(h.call("POST", "/v3/auth/user/add", json.dumps({"name": "", "password": "p"})))
    add(h.call("POST", "/v3/auth/role/add", json.dumps({"name": "r1"})))
    add(h.call("POST", "/v3/auth/role/grant", json.dumps({
        "name": "r1", "perm": {"permType": "READWRITE", "key": b64("a"), "range_end": b64("b")}})))
    add(h.call("POST", "/v3/auth/user/grant", json.dumps({"user": "u1", "role": "r1"})))
    add(h.call("POST", "/v3/auth/user/get", json.dumps({"name": "u1"})))
    add(h.call("POST", "/v3/auth/role/get", json.dumps({"role": "r1"})))
    add(h.call("POST", "/v3/auth/user/list", "{}"))
    add(h.call("POST", "/v3/auth/role/list", "{}"))
    add(h.call("POST", "/v3/auth/enable", "{}"))
    add(h.call("POST", "/v3/auth/user/get", json.dumps({"name": "nobody"})))
    # Plain HTTP endpoints, unknown paths, wrong methods, big bodies.
    add(h.call("GET", "/health"))
    add(h.call("GET", "/version"))
    add(h.call("POST", "/v3alpha/kv/range", "{}"))
    add(h.call("POST", "/v3/kv/nothing", "{}"))
    add(h.call("GET", "/v3/kv/range"))
    add(h.call("GET", "/nowhere"))
    add(h.call("POST", "/v3/kv/put", json.dumps({"key": b64("big"),
                                                  "value": "A" * (3 * 1024 * 1024)})))
    # Bodies etcd's gateway reads with Go's encoding/json and jsonpb.
    for body in BAD_BODIES:
        add(h.call("POST", "/v3/kv/put", body))
    for body in RANGE_BAD:
        add(h.call("POST", "/v3/kv/range", body))
    for body in TXN_BAD:
        add(h.call("POST", "/v3/kv/txn", body))
    add(h.call("POST", "/v3/watch", "{\"create_request\":{\"filters\":[\"NOPUT\",\"BAD\"]}}"))
    return out


@pytest.fixture(scope="module")
def etcd_records():
    return record("etcd", session, "http-gateway", repr)


def test_etcd_golden(etcd_records):
    by_body = {(r[1], r[2]): r for r in etcd_records if len(r) == 6}
    # A few answers pinned so a change of reference is noticed.
    assert by_body[("/v3/kv/put", "{")][5]["message"] == "unexpected EOF"
    assert by_body[("/v3/kv/put", "{\"key\":\"!!!\"}")][5]["message"] == \
        "illegal base64 data at input byte 0"
    assert by_body[("/v3/kv/put", "{\"key\":\"YQ==\"} trailing")][3] == 200


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = record("cairn", session, "http-gateway", repr)
    assert_same_records(etcd_records, cairn_records)
