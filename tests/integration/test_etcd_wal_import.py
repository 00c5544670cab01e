"""Migration "stop etcd, start Cairn on the same directory" after etcd was
killed with kill -9: the writes etcd acknowledged but had not yet committed
to its bbolt db (it commits every 100 ms) are only in its WAL, and Cairn
replays them.

etcd runs a first time normally (the db holds that history), then again with
a backend batch interval of an hour, so every write of the second run is
WAL-only, except what a compaction forces into the db (etcd commits the db
when it schedules one): the second run mixes puts, a txn, deletes, a lease
grant, attach and revoke, a compaction, users and roles. After kill -9 a copy
of the data dir is given back to etcd, whose answers (every key, value,
create/mod revision, version and lease at each revision, the leases, users
and roles, the current revision) are the expected ones; then Cairn starts on
the original directory, on each backend, and must answer the same.
"""

import json
import os
import shutil

import pytest

from cairn_harness import Server, cairn_bin, etcdctl
from test_etcd_import import add_auth_objects, auth_objects
from test_snapshot import LEASE_ID, write_history

pytestmark = pytest.mark.skipif(not cairn_bin(), reason="imports into Cairn; CAIRN_BIN is not set")

SECOND_LEASE = 0xBEEF
WAL_ONLY_FLAGS = ["--snapshot-count=1000000", "--backend-batch-interval=1h",
                  "--backend-batch-limit=1000000"]


def write_wal_only(server):
    """The second run's writes; returns the compaction revision."""
    c = server.client()
    try:
        for i in range(40):
            c.put("w/%02d" % i, "first-%d" % i)
        compact_rev = c.put("w/00", "again").header.revision
        lease = c.lease(300, lease_id=SECOND_LEASE)
        c.put("w/leased", "yes", lease=lease)
        c.transaction(compare=[c.transactions.value("w/01") == "first-1"],
                      success=[c.transactions.put("w/txn", "then"),
                               c.transactions.delete("w/02")],
                      failure=[c.transactions.put("w/txn", "else")])
        c.compact(compact_rev)
        # After the compaction (which commits the db): WAL-only again.
        c.delete_prefix("w/1")
        c.revoke_lease(LEASE_ID)  # deletes "l", written by the first run
        for i in range(40):
            c.put("w/%02d" % i, "second-%d" % i)
        c.put("w/03", "last")
    finally:
        c.close()
    server.ctl("role", "add", "writer").check()
    server.ctl("role", "grant-permission", "writer", "readwrite", "w/", "w0").check()
    server.ctl("user", "add", "bob:pw").check()
    server.ctl("user", "grant-role", "bob", "writer").check()
    return compact_rev


def state(server, compact_rev):
    """Everything a client can see, from the compaction on."""
    r = server.ctl("get", "", "--from-key", "--keys-only", "-w", "json").check()
    current = json.loads(r.out)["header"]["revision"]
    views = {}
    for rev in list(range(compact_rev, current + 1, 3)) + [current]:
        out = json.loads(server.ctl("get", "", "--from-key", f"--rev={rev}", "-w",
                                    "json").check().out)
        views[rev] = out.get("kvs", [])
    compacted = server.ctl("get", "a", f"--rev={compact_rev - 1}")
    leases = {}
    for lid in server.ctl("lease", "list").check().out.split()[3:]:
        ttl = json.loads(server.ctl("lease", "timetolive", lid, "--keys", "-w",
                                    "json").check().out)
        leases[lid] = (ttl["granted-ttl"], sorted(ttl.get("keys") or []))
    return {"revision": current, "views": views, "leases": leases,
            "compacted": (compacted.rc, compacted.err.strip().splitlines()[-1]),
            "auth": auth_objects(server),
            "bob": server.ctl("user", "get", "bob").check().out,
            "writer": server.ctl("role", "get", "writer").check().out}


def db_revision(data_dir, scratch):
    """The key revision etcd's bbolt db holds (a copy: status opens it)."""
    copy = os.path.join(scratch, "db-copy")
    shutil.copyfile(os.path.join(data_dir, "member", "snap", "db"), copy)
    r = etcdctl("http://127.0.0.1:1", "snapshot", "status", copy, "-w", "json")
    assert r.rc == 0, r.err
    return json.loads(r.out)["revision"]


@pytest.mark.parametrize("backend,interrupted", [("wiredtiger", False), ("memory", False),
                                                 ("wiredtiger", True)],
                         ids=["wiredtiger", "memory", "wiredtiger-redone"])
def test_kill9_etcd_then_cairn_replays_its_wal(backend, interrupted, tmp_path):
    etcd = Server(flavour="etcd", extra_args=["--snapshot-count=1000000"])
    expected_etcd = cairn = None
    try:
        etcd.start()
        write_history(etcd)
        add_auth_objects(etcd)
        etcd.stop()  # the db holds the first run
        etcd.extra_args = WAL_ONLY_FLAGS
        etcd.start()
        compact_rev = write_wal_only(etcd)
        etcd.kill()

        # etcd's own recovery, on a copy, gives the expected answers.
        copy = str(tmp_path / "etcd-copy")
        shutil.copytree(etcd.data_dir, os.path.join(copy, "data"))
        expected_etcd = Server(flavour="etcd", workdir=copy, ports=(etcd._client, etcd._peer))
        expected_etcd.start()
        want = state(expected_etcd, compact_rev)
        expected_etcd.stop()
        # Some acknowledged writes are only in the WAL.
        assert db_revision(etcd.data_dir, str(tmp_path)) < want["revision"]
        assert want["compacted"][0] != 0
        assert want["leases"] == {"%016x" % SECOND_LEASE: (300, ["dy9sZWFzZWQ="])}  # w/leased

        member = os.path.join(etcd.data_dir, "member")
        if interrupted:
            # An import that crashed after moving etcd's WAL aside, before
            # Cairn's WAL was made: the next start redoes it from the db and
            # reads etcd's WAL where it was put.
            os.rename(os.path.join(member, "wal"), os.path.join(member, "wal.etcd-imported"))
            with open(os.path.join(member, "etcd-import-in-progress"), "w") as f:
                f.write("\n")
        cairn = Server(flavour="cairn", backend=backend, workdir=etcd.workdir,
                       ports=(etcd._client, etcd._peer))
        cairn.start()
        imported = [r for r in cairn.log_records() if r.get("msg") == "imported etcd data dir"]
        assert len(imported) == 1 and imported[0]["wal-requests"] > 0
        assert state(cairn, compact_rev) == want
        assert os.listdir(os.path.join(member, "wal.etcd-imported"))
        assert not os.path.exists(os.path.join(member, "etcd-import-in-progress"))
        # And across a restart (the memory backend comes back from the
        # import snapshot and replays the entries after it again).
        cairn.stop()
        cairn.start()
        assert state(cairn, compact_rev) == want
        c = cairn.client()
        try:
            assert c.put("after", "import").header.revision == want["revision"] + 1
        finally:
            c.close()
    finally:
        for s in (cairn, expected_etcd):
            if s is not None:
                s.kill()
        etcd.cleanup()
