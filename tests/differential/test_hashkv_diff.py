"""Differential HashKV: the same history written to a fresh etcd 3.4 and a
fresh Cairn (python-etcd3 writes, `etcdctl endpoint hashkv` reads) gives the
same hash at every revision, before and after a compaction, and the same
errors for a compacted or future revision. The hash covers the key bucket's
bytes, so equal hashes mean Cairn stores each revision exactly as etcd does.
Lease ids are fixed (they are part of the stored values)."""

import json

import pytest

from differential_run import record, require_cairn

LEASE_ID = 0x1234ABCD


def hashkv(server, rev):
    r = server.ctl("endpoint", "hashkv", f"--rev={rev}", "-w", "json")
    if r.rc != 0:
        return ("error", r.err.strip().splitlines()[-1])
    h = json.loads(r.out)[0]["HashKV"]
    return (h["hash"], h.get("compact_revision", 0), h["header"]["revision"])


def session(server):
    c = server.client()
    try:
        c.put("a", "1")
        c.put("b", "2")
        c.put("a", "3")
        c.delete("b")
        c.put("c", "4")
        lease = c.lease(100, lease_id=LEASE_ID)
        c.put("d", "5", lease=lease)
        c.transaction(compare=[c.transactions.value("a") == "3"],
                      success=[c.transactions.put("e", "6"), c.transactions.delete("c")],
                      failure=[])
        c.put("f/1", "x")
        c.put("f/2", "y")
        c.delete_prefix("f/")
        current = c.put("g", "z").header.revision
        records = [("rev %d" % r, hashkv(server, r)) for r in range(1, current + 1)]
        records.append(("current (rev 0)", hashkv(server, 0)))
        c.compact(5)
        c.put("a", "7")
        records += [("after compact, rev %d" % r, hashkv(server, r))
                    for r in range(4, current + 3)]
        records.append(("after compact, current", hashkv(server, 0)))
        return records
    finally:
        c.close()


@pytest.fixture(scope="module")
def etcd_records():
    return record("etcd", session, "hashkv", repr)


def test_etcd_golden(etcd_records):
    labels = dict(etcd_records)
    assert all(isinstance(v[0], int) for k, v in labels.items() if not k.startswith("after"))
    assert labels["after compact, rev 4"] == (
        "error", "Error: etcdserver: mvcc: required revision has been compacted")
    assert labels["after compact, current"][1] == 5


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = record("cairn", session, "hashkv", repr)
    assert cairn_records == etcd_records
