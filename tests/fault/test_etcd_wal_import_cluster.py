"""A 3-member etcd 3.4 cluster killed with kill -9 under concurrent writes,
then a Cairn cluster started on the same three data dirs: each member's
bbolt db stops at its own consistent_index, the rest of what etcd
acknowledged is only in the WALs, and every Cairn member must answer what
etcd's own restart (on copies of the dirs) answers: every key, value,
create/mod revision, version and lease, and the revision. Each member
continues etcd's raft state (terms, hard state), so the imported members
agree and take new writes.

About 25 s per backend: runs under `make fault` (CAIRN_ETCD_IMPORT_CLUSTER=1),
skipped otherwise; tests/integration/test_etcd_wal_import.py covers the
single member in `make test`.
"""

import json
import os
import shutil
import threading
import time

import pytest

from cairn_cluster import Cluster
from cairn_harness import cairn_bin, etcdctl

pytestmark = [
    pytest.mark.skipif(not cairn_bin(), reason="imports into Cairn; CAIRN_BIN is not set"),
    pytest.mark.skipif(os.environ.get("CAIRN_ETCD_IMPORT_CLUSTER") != "1",
                       reason="a long run: set CAIRN_ETCD_IMPORT_CLUSTER=1 (make fault does)"),
]


def on_dirs(cluster, source, copy_to=None):
    """Points `cluster`'s members at `source`'s data dirs (or copies)."""
    for m, o in zip(cluster.members, source.members):
        d = o.data_dir
        if copy_to:
            d = os.path.join(copy_to, m.name, "data")
            shutil.copytree(o.data_dir, d)
        m.data_dir = d


def answers(cluster):
    out = []
    for m in cluster.members:
        r = json.loads(m.ctl("get", "", "--from-key", "-w", "json").check().out)
        leases = m.ctl("lease", "list").check().out.split()[3:]
        out.append((r["header"]["revision"], r.get("kvs", []), sorted(leases)))
    return out


def db_revision(data_dir, scratch):
    copy = os.path.join(scratch, "db-copy")
    shutil.copyfile(os.path.join(data_dir, "member", "snap", "db"), copy)
    r = etcdctl("http://127.0.0.1:1", "snapshot", "status", copy, "-w", "json")
    assert r.rc == 0, r.err
    return json.loads(r.out)["revision"]


@pytest.mark.parametrize("backend", ["wiredtiger", "memory"])
def test_kill9_etcd_cluster_then_cairn_cluster(backend, tmp_path):
    etcd = Cluster(size=3, flavour="etcd")
    expected = cairn = None
    try:
        etcd.start()
        c = etcd.members[0].client()
        try:
            for i in range(50):
                c.put("pre/%d" % i, "x")
            c.put("leased", "y", lease=c.lease(300))
        finally:
            c.close()
        time.sleep(0.5)

        def writer(t):
            cl = etcd.members[t % 3].client()
            try:
                for i in range(120):
                    cl.put("burst/%d/%d" % (t, i), "v%d" % i)
            finally:
                cl.close()

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for m in etcd.members:
            m.kill()

        expected = Cluster(flavour="etcd", like=etcd)
        on_dirs(expected, etcd, copy_to=str(tmp_path))
        expected.start()
        want = answers(expected)
        for m in expected.members:
            m.stop()
        assert want[0] == want[1] == want[2]
        # At least one member's db lacks acknowledged writes.
        assert min(db_revision(m.data_dir, str(tmp_path)) for m in etcd.members) < want[0][0]

        cairn = Cluster(flavour="cairn", backend=backend, like=etcd)
        on_dirs(cairn, etcd)
        cairn.start()
        assert answers(cairn) == want
        r = cairn.ctl("put", "after", "import")
        assert r.rc == 0, r.err
        for m in cairn.members:
            got = m.ctl("get", "after", "-w", "json").check().out
            assert json.loads(got)["kvs"][0]["mod_revision"] == want[0][0] + 1
    finally:
        for cl in (cairn, expected):
            if cl is not None:
                for m in cl.members:
                    m.kill()
        etcd.cleanup()
