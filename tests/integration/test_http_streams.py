"""The gateway's streaming routes over HTTP/1.1: POST /v3/watch,
/v3/lease/keepalive and /v3/election/observe answer with a chunked body in
which every response is one `{"result":{...}}` object and a newline in its own
chunk, as etcd 3.4's grpc-gateway writes it and python3-etcd3gw reads it.

Every assertion was written against etcd 3.4 first (run without CAIRN_BIN).
Chunks are read off a raw socket, so chunk boundaries are checked too;
python3-etcd3gw drives its watch, lease and lock recipes.
"""

import base64
import json
import queue
import socket
import subprocess
import threading
import time

import pytest

from cairn_harness import Server

try:
    from etcd3gw.client import Etcd3Client
    from etcd3gw.lock import Lock
except ImportError:  # Debian's python3-etcd3gw is for /usr/bin/python3
    Etcd3Client = None


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        s.start()
        yield s


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def unb64(s):
    return base64.b64decode(s).decode()


class ChunkedStream:
    """One streaming request on a raw socket; reads the head, then the body
    chunk by chunk."""

    def __init__(self, server, path, body, timeout=10):
        self.flavour = server.flavour
        self.sock = socket.create_connection(("127.0.0.1", server.client_port), timeout=timeout)
        data = body.encode() if isinstance(body, str) else body
        self.sock.sendall(
            (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             f"Content-Length: {len(data)}\r\n\r\n").encode() + data)
        self.buf = b""
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _read_until(self, marker):
        while marker not in self.buf:
            self._fill()
        i = self.buf.index(marker)
        out, self.buf = self.buf[:i], self.buf[i + len(marker):]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def chunk(self):
        """The next chunk's payload (b"" for the last chunk)."""
        size = int(self._read_until(b"\r\n").split(b";")[0], 16)
        payload = self._read_exact(size)
        assert self._read_exact(2) == b"\r\n"
        return payload

    def message(self):
        """The next chunk as a JSON object, checking the gateway's framing.

        etcd writes an object above Go's 2 KiB response buffer in one chunk
        and its newline in the next (which trips etcd3gw's reader); Cairn
        always writes both in one chunk."""
        payload = self.chunk()
        if not payload.endswith(b"\n") and self.flavour != "cairn":
            assert self.chunk() == b"\n"
            payload += b"\n"
        assert payload.endswith(b"}\n"), payload
        assert payload.count(b"\n") == 1, payload  # one object per chunk
        return json.loads(payload)

    def close(self):
        self.sock.close()


def put(server, key, value, **extra):
    body = {"key": b64(key), "value": b64(value), **extra}
    r = subprocess.run(["curl", "-s", "-S", "--data-binary", json.dumps(body),
                        f"http://127.0.0.1:{server.client_port}/v3/kv/put"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def curl(server, path, body, method=None):
    args = ["curl", "-s", "-S", "-i", "--data-binary", body]
    if method:
        args += ["-X", method]
    r = subprocess.run(args + [f"http://127.0.0.1:{server.client_port}{path}"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    head, _, payload = r.stdout.partition(b"\r\n\r\n")
    status = int(head.split(b"\r\n")[0].split()[1])
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, payload


# ------------------------------------------------------------ watch


def test_watch_stream_chunks_and_events(server):
    w = ChunkedStream(server, "/v3/watch", json.dumps(
        {"create_request": {"key": b64("hs/a")}}))
    try:
        assert w.status == 200
        assert w.headers["content-type"] == "application/json"
        assert w.headers["transfer-encoding"] == "chunked"
        assert w.headers["grpc-metadata-content-type"] == "application/grpc"
        assert w.headers["access-control-allow-origin"] == "*"
        created = w.message()["result"]
        assert created["created"] is True
        assert "watch_id" not in created  # 0 is a default: left out
        assert set(created["header"]) == {"cluster_id", "member_id", "revision", "raft_term"}

        rev = int(put(server, "hs/a", "one")["header"]["revision"])
        ev = w.message()["result"]
        assert int(ev["header"]["revision"]) == rev
        [e] = ev["events"]
        assert "type" not in e  # PUT is the enum's default
        assert unb64(e["kv"]["key"]) == "hs/a" and unb64(e["kv"]["value"]) == "one"
        assert e["kv"]["create_revision"] == str(rev) and e["kv"]["version"] == "1"

        subprocess.run(["curl", "-s", "--data-binary", json.dumps({"key": b64("hs/a")}),
                        f"http://127.0.0.1:{server.client_port}/v3/kv/deleterange"],
                       check=True, capture_output=True, timeout=30)
        [d] = w.message()["result"]["events"]
        assert d["type"] == "DELETE" and unb64(d["kv"]["key"]) == "hs/a"
        assert d["kv"]["mod_revision"] == str(rev + 1)
    finally:
        w.close()


def test_watch_body_with_several_requests(server):
    # The body is a sequence of WatchRequests; each create is its own watcher.
    body = (json.dumps({"create_request": {"key": b64("hs2/a")}}) + " " +
            json.dumps({"create_request": {"key": b64("hs2/b"), "prev_kv": True}}))
    w = ChunkedStream(server, "/v3/watch", body)
    try:
        first, second = w.message()["result"], w.message()["result"]
        assert first["created"] and "watch_id" not in first
        assert second["created"] and second["watch_id"] == "1"
        put(server, "hs2/b", "x")
        put(server, "hs2/b", "y")
        put(server, "hs2/a", "z")
        r1, r2, r3 = (w.message()["result"] for _ in range(3))
        assert r1["watch_id"] == "1" and "prev_kv" not in r1["events"][0]
        assert r2["watch_id"] == "1" and unb64(r2["events"][0]["prev_kv"]["value"]) == "x"
        assert "watch_id" not in r3 and unb64(r3["events"][0]["kv"]["value"]) == "z"
    finally:
        w.close()


def test_watch_from_past_revision_and_prefix(server):
    first = int(put(server, "hs3/k1", "a")["header"]["revision"])
    put(server, "hs3/k2", "b")
    w = ChunkedStream(server, "/v3/watch", json.dumps({"create_request": {
        "key": b64("hs3/"), "range_end": b64("hs30"), "start_revision": first}}))
    try:
        assert w.message()["result"]["created"] is True
        seen = []
        while len(seen) < 2:
            seen += [unb64(e["kv"]["key"]) for e in w.message()["result"]["events"]]
        assert seen == ["hs3/k1", "hs3/k2"]
    finally:
        w.close()


def test_watch_client_going_away_leaves_server_serving(server):
    for _ in range(20):
        w = ChunkedStream(server, "/v3/watch", json.dumps(
            {"create_request": {"key": b64("hs4/"), "range_end": b64("hs40")}}))
        assert w.message()["result"]["created"]
        w.close()
    put(server, "hs4/x", "1")
    status, _, body = curl(server, "/health", "", method="GET")
    assert status == 200 and json.loads(body) == {"health": "true"}


def test_stalled_watch_client_holds_back_only_itself(server):
    # One client stops reading while 4 MiB of events flow; another watcher of
    # the same keys and plain requests carry on; the stalled one then gets
    # every event, in order, once it reads again.
    value = "v" * 16384
    n = 256
    stalled = ChunkedStream(server, "/v3/watch", json.dumps(
        {"create_request": {"key": b64("hs5/"), "range_end": b64("hs50")}}), timeout=60)
    live = ChunkedStream(server, "/v3/watch", json.dumps(
        {"create_request": {"key": b64("hs5/"), "range_end": b64("hs50")}}), timeout=60)
    try:
        assert stalled.message()["result"]["created"]
        assert live.message()["result"]["created"]
        got = queue.Queue()

        def reader():
            count = 0
            while count < n:
                count += len(live.message()["result"]["events"])
            got.put(count)

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        for i in range(n):
            put(server, f"hs5/{i:04d}", value)
        assert got.get(timeout=60) == n
        status, _, _ = curl(server, "/health", "", method="GET")
        assert status == 200
        keys = []
        while len(keys) < n:
            keys += [unb64(e["kv"]["key"]) for e in stalled.message()["result"]["events"]]
        assert keys == [f"hs5/{i:04d}" for i in range(n)]
    finally:
        stalled.close()
        live.close()


def test_watch_undecodable_body(server):
    # The gateway passes the decoder's error on as it is: Unknown, 500.
    status, headers, body = curl(server, "/v3/watch", "{bad")
    assert status == 500
    assert headers["content-type"] == "application/json"
    err = json.loads(body)
    assert err["code"] == 2 and err["error"] == err["message"] and err["message"]


def test_stream_routes_are_post_only(server):
    for path in ("/v3/watch", "/v3/lease/keepalive"):
        status, _, body = curl(server, path, "", method="GET")
        assert status == 405 and body == b"Method Not Allowed\n"


# ------------------------------------------------------------ keep-alive


def test_keepalive_stream_answers_each_request_then_ends(server):
    lease_id = 0x7a11
    status, _, body = curl(server, "/v3/lease/grant", json.dumps({"TTL": 40, "ID": lease_id}))
    assert status == 200
    s = ChunkedStream(server, "/v3/lease/keepalive",
                      json.dumps({"ID": lease_id}) + json.dumps({"ID": lease_id}) +
                      " " + json.dumps({"ID": lease_id + 1}))
    try:
        assert s.status == 200 and s.headers["transfer-encoding"] == "chunked"
        a, b, c = (s.message()["result"] for _ in range(3))
        assert a["ID"] == b["ID"] == str(lease_id) and a["TTL"] == b["TTL"] == "40"
        # An unknown lease: TTL 0, left out as a default.
        assert c["ID"] == str(lease_id + 1) and "TTL" not in c
        assert s.chunk() == b""  # the body ends once every request is answered
    finally:
        s.close()


def test_keepalive_with_empty_body_ends_at_once(server):
    status, headers, body = curl(server, "/v3/lease/keepalive", "", method="POST")
    assert status == 200 and body == b""
    assert headers["transfer-encoding"] == "chunked"
    assert "grpc-metadata-content-type" not in headers


def test_connection_serves_requests_after_a_stream(server):
    # Go keeps the connection alive after a streamed body; so does Cairn.
    s = ChunkedStream(server, "/v3/lease/keepalive", json.dumps({"ID": 1}))
    try:
        s.message()
        assert s.chunk() == b""
        body = json.dumps({"key": b64("hs6/k"), "value": b64("v")}).encode()
        s.sock.sendall(b"POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                       str(len(body)).encode() + b"\r\n\r\n" + body)
        head = s._read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")
    finally:
        s.close()


# ------------------------------------------------------------ observe


def test_election_observe_stream(server):
    status, _, body = curl(server, "/v3/lease/grant", json.dumps({"TTL": 30}))
    lease = json.loads(body)["ID"]
    status, _, body = curl(server, "/v3/election/campaign", json.dumps(
        {"name": b64("hs-elect"), "lease": lease, "value": b64("first")}))
    assert status == 200
    leader = json.loads(body)["leader"]
    o = ChunkedStream(server, "/v3/election/observe", json.dumps({"name": b64("hs-elect")}))
    try:
        assert o.status == 200
        assert unb64(o.message()["result"]["kv"]["value"]) == "first"
        status, _, _ = curl(server, "/v3/election/proclaim", json.dumps(
            {"leader": leader, "value": b64("second")}))
        assert status == 200
        assert unb64(o.message()["result"]["kv"]["value"]) == "second"
    finally:
        o.close()


# ------------------------------------------------------------ etcd3gw


@pytest.mark.skipif(Etcd3Client is None, reason="python3-etcd3gw not importable")
def test_etcd3gw_watch_lease_and_lock(server):
    c = Etcd3Client(host="127.0.0.1", port=server.client_port, api_path="/v3/")
    events, cancel = c.watch_prefix("gw4/")
    time.sleep(0.3)  # the watch is created on its own connection
    c.put("gw4/a", "1")
    c.put("gw4/b", "2")
    c.delete("gw4/a")
    got = [next(events) for _ in range(3)]
    cancel()
    assert [(e["kv"]["key"], e.get("type", "PUT")) for e in got] == [
        (b"gw4/a", "PUT"), (b"gw4/b", "PUT"), (b"gw4/a", "DELETE")]
    assert got[1]["kv"]["value"] == b"2"

    box = {}
    t = threading.Thread(target=lambda: box.update(ev=c.watch_once("gw4/once", timeout=10)))
    t.start()
    time.sleep(0.3)
    c.put("gw4/once", "x")
    t.join(timeout=15)
    assert box["ev"]["kv"]["value"] == b"x"

    lease = c.lease(ttl=30)
    c.put("gw4/leased", "v", lease=lease)
    assert lease.refresh() == 30  # LeaseKeepAlive over the stream route
    assert lease.keys() == [b"gw4/leased"]
    assert 0 < lease.ttl() <= 30
    lease.revoke()
    assert c.get("gw4/leased") == []

    lock = Lock("gw4-lock", ttl=30, client=c)
    assert lock.acquire() is True
    assert lock.is_acquired() is True
    assert Lock("gw4-lock", ttl=30, client=c).acquire() is False
    assert lock.refresh() == 30
    assert lock.release() is True
    other = Lock("gw4-lock", ttl=30, client=c)
    assert other.acquire() is True
    other.release()


def test_server_stops_cleanly_with_open_streams():
    with Server() as s:
        s.start()
        streams = [ChunkedStream(s, "/v3/watch", json.dumps(
            {"create_request": {"key": b64(f"hs7/{i}")}})) for i in range(3)]
        try:
            for w in streams:
                assert w.message()["result"]["created"]
            put(s, "hs7/0", "v")
            assert streams[0].message()["result"]["events"]
            s.stop()  # a clean exit, within the harness's timeout
            for w in streams:
                with pytest.raises((EOFError, ConnectionError)):
                    while True:
                        w.chunk()
        finally:
            for w in streams:
                w.close()
