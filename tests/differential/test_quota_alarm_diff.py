"""Differential space quota story: the same session against etcd 3.4 and
Cairn, each started with a small --quota-backend-bytes. python-etcd3 fills
the store until a put is refused; then etcdctl lists the NOSPACE alarm,
writes (put, txn with a put, lease grant) are refused with etcd's error,
reads, deletes and a txn without puts work, `endpoint health` and /health
report the alarm, compaction and defragmentation run, `alarm disarm` clears
it and writes resume. A second session checks that the alarm survives a
restart. Cairn runs both sessions on both backends. Member ids and endpoints are normalised; the number of writes
before NOSPACE is not compared (bbolt and WiredTiger grow differently)."""

import json
import re
import urllib.error
import urllib.request

import grpc
import pytest

from differential_run import record, require_cairn

QUOTA = 4 * 1024 * 1024
VALUE = "v" * (64 * 1024)
MAX_PUTS = 400


def normalise(server, text):
    text = text.replace(server.endpoint, "<EP>").replace(f"127.0.0.1:{server.client_port}", "<EP>")
    text = re.sub(r"memberID:\d+", "memberID:<ID>", text)
    text = re.sub(r"took = [^,\n]+", "took = <T>", text)
    text = re.sub(r'"took":"[^"]*"', '"took":"<T>"', text)
    return text.strip()


def ctl(server, *args):
    """etcdctl's exit code, output and last line of stderr (clientv3's retry
    warnings before it carry timestamps and client ids)."""
    r = server.ctl(*args)
    err = r.err.strip().splitlines()
    return (r.rc, normalise(server, r.out), normalise(server, err[-1] if err else ""))


def rpc_error(fn):
    try:
        fn()
        return "ok"
    except grpc.RpcError as e:
        return (e.code().name, e.details())


def health(server):
    try:
        with urllib.request.urlopen(server.endpoint + "/health", timeout=10) as r:
            return (r.status, json.loads(r.read()))
    except urllib.error.HTTPError as e:
        return (e.code, json.loads(e.read()))


def fill(server, c):
    """Puts 64 KiB values until one is refused; returns the refusal."""
    for i in range(MAX_PUTS):
        outcome = rpc_error(lambda: c.put(f"fill/{i:04d}", VALUE))
        if outcome != "ok":
            assert i > 0, "the first put was refused"
            return outcome
    raise AssertionError(f"{MAX_PUTS} puts of {len(VALUE)} bytes never passed the quota")


def quota_session(server):
    c = server.client()
    try:
        records = [("fill", fill(server, c))]
        records.append(("alarm list", ctl(server, "alarm", "list")))
        records.append(("etcdctl put", ctl(server, "put", "foo", "bar")))
        records.append(("txn with put", rpc_error(lambda: c.transaction(
            compare=[], success=[c.transactions.put("foo", "bar")], failure=[]))))
        records.append(("lease grant", rpc_error(lambda: c.lease(60))))
        records.append(("txn without put", rpc_error(lambda: c.transaction(
            compare=[], success=[c.transactions.delete("nothing")], failure=[]))))
        records.append(("get", ctl(server, "get", "fill/0000", "--print-value-only")[0:1]))
        records.append(("endpoint health", ctl(server, "endpoint", "health")))
        records.append(("/health", health(server)))
        rc, out, err = ctl(server, "del", "--prefix", "fill/")
        records.append(("delete", (rc, int(out) > 1, err)))  # how many depends on the backend
        records.append(("read after delete", c.get("fill/0000") == (None, None)))
        current = json.loads(server.ctl("endpoint", "status", "-w", "json").out)[0]
        rc, out, _ = ctl(server, "compact", str(current["Status"]["header"]["revision"]),
                         "--physical")
        records.append(("compact", (rc, re.sub(r"\d+", "<REV>", out))))
        records.append(("defrag", ctl(server, "defrag")))
        records.append(("put still refused", ctl(server, "put", "foo", "bar")))
        records.append(("disarm", ctl(server, "alarm", "disarm")))
        records.append(("alarm list after disarm", ctl(server, "alarm", "list")))
        records.append(("put after disarm", ctl(server, "put", "foo", "bar")))
        records.append(("lease grant after disarm", rpc_error(lambda: c.lease(60)) == "ok"))
        records.append(("/health after disarm", health(server)))
        return records
    finally:
        c.close()


def restart_session(server):
    c = server.client()
    try:
        records = [("fill", fill(server, c))]
    finally:
        c.close()
    server.stop()
    server.start()
    records.append(("alarm list after restart", ctl(server, "alarm", "list")))
    records.append(("put after restart", ctl(server, "put", "foo", "bar")))
    records.append(("get after restart", ctl(server, "get", "fill/0000", "--print-value-only")[0:1]))
    records.append(("disarm", ctl(server, "alarm", "disarm")))
    records.append(("alarm list after disarm", ctl(server, "alarm", "list")))
    return records


FLAGS = [f"--quota-backend-bytes={QUOTA}"]


@pytest.fixture(scope="module")
def etcd_quota():
    return record("etcd", quota_session, "quota", repr, extra_args=FLAGS)


def test_etcd_golden(etcd_quota):
    r = dict(etcd_quota)
    assert r["fill"] == ("RESOURCE_EXHAUSTED", "etcdserver: mvcc: database space exceeded")
    assert r["alarm list"] == (0, "memberID:<ID> alarm:NOSPACE", "")
    assert r["etcdctl put"] == (1, "", "Error: etcdserver: mvcc: database space exceeded")
    assert r["txn with put"] == r["fill"]
    assert r["lease grant"] == r["fill"]
    assert r["txn without put"] == "ok"
    assert r["/health"][0] == 503 and r["/health"][1]["health"] == "false"
    assert r["disarm"] == (0, "memberID:<ID> alarm:NOSPACE", "")
    assert r["alarm list after disarm"] == (0, "", "")
    assert r["put after disarm"] == (0, "OK", "")
    assert r["lease grant after disarm"] is True
    assert r["/health after disarm"] == (200, {"health": "true"})


@pytest.mark.parametrize("backend", ["wiredtiger", "memory"])
def test_cairn_matches_etcd(etcd_quota, backend):
    require_cairn()
    assert record("cairn", quota_session, f"quota-{backend}", repr,
                  extra_args=FLAGS + [f"--storage-backend={backend}"]) == etcd_quota


@pytest.fixture(scope="module")
def etcd_restart():
    return record("etcd", restart_session, "quota-restart", repr, extra_args=FLAGS)


def test_etcd_restart_golden(etcd_restart):
    r = dict(etcd_restart)
    assert r["alarm list after restart"] == (0, "memberID:<ID> alarm:NOSPACE", "")
    assert r["put after restart"] == (1, "", "Error: etcdserver: mvcc: database space exceeded")
    assert r["alarm list after disarm"] == (0, "", "")


@pytest.mark.parametrize("backend", ["wiredtiger", "memory"])
def test_cairn_restart_matches_etcd(etcd_restart, backend):
    require_cairn()
    assert record("cairn", restart_session, f"quota-restart-{backend}", repr,
                  extra_args=FLAGS + [f"--storage-backend={backend}"]) == etcd_restart
