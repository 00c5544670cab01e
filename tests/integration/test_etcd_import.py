"""Migration from etcd 3.4 into Cairn, driven by etcdctl (snapshot save and
restore, reads, users and roles) and python-etcd3 (writes), on both Cairn
backends:

- etcd -> `etcdctl snapshot save` -> `etcdctl snapshot restore` -> Cairn
  starts on the restored data dir and serves the whole history (every key,
  value, create/mod revision and version), the lease, users and roles, and
  keeps them across a restart;
- "stop etcd, start Cairn on the same directory": the same, with etcd's own
  files kept aside;
- a Cairn snapshot (memory backend) restored into Cairn (WiredTiger);
- one etcd snapshot restored by each member of a 3-member Cairn cluster;
- a damaged db, or a data dir of another member (its WAL's ids are not the
  ones the flags give), refuses to start and is left as it was.
"""

import json
import os

import pytest

from cairn_cluster import Cluster
from cairn_harness import Server, cairn_bin, etcdctl
from test_snapshot import LEASE_ID, dump, restore_into, save, write_history

pytestmark = pytest.mark.skipif(not cairn_bin(), reason="imports into Cairn; CAIRN_BIN is not set")


def add_auth_objects(server):
    server.ctl("role", "add", "reader").check()
    server.ctl("role", "grant-permission", "reader", "read", "a", "b").check()
    server.ctl("user", "add", "alice:secret").check()
    server.ctl("user", "grant-role", "alice", "reader").check()


def auth_objects(server):
    return {
        "users": server.ctl("user", "list").check().out,
        "roles": server.ctl("role", "list").check().out,
        "alice": server.ctl("user", "get", "alice").check().out,
        "reader": server.ctl("role", "get", "reader").check().out,
    }


@pytest.fixture
def etcd_source(make_server):
    s = make_server(flavour="etcd")
    write_history(s)
    add_auth_objects(s)
    return s


def check_same(cairn, want, want_auth):
    assert dump(cairn) == want
    assert auth_objects(cairn) == want_auth
    # Writes carry on from etcd's revision.
    c = cairn.client()
    try:
        rev = c.put("after-import", "yes").header.revision
    finally:
        c.close()
    assert rev == want["revision"] + 1


def test_restore_etcd_snapshot_into_cairn(etcd_source, backend, tmp_path):
    want, want_auth = dump(etcd_source), auth_objects(etcd_source)
    snap = save(etcd_source, str(tmp_path / "etcd.db"))
    cairn = Server(flavour="cairn", backend=backend)
    try:
        restore_into(snap, cairn)
        cairn.start()
        check_same(cairn, want, want_auth)
        imported = [r for r in cairn.log_records() if r.get("msg") == "imported etcd data dir"]
        assert len(imported) == 1
        cairn.stop()
        cairn.start()
        after = dump(cairn)
        assert after["views"][want["revision"]] == want["views"][want["revision"]]
        assert after["revision"] == want["revision"] + 1
        assert auth_objects(cairn) == want_auth
        assert not [r for r in cairn.log_records() if r.get("msg") == "imported etcd data dir"]
    finally:
        cairn.cleanup()


def test_stop_etcd_start_cairn_on_the_same_dir(etcd_source, backend):
    want, want_auth = dump(etcd_source), auth_objects(etcd_source)
    etcd_source.stop()
    member = os.path.join(etcd_source.data_dir, "member")
    etcd_wal = sorted(os.listdir(os.path.join(member, "wal")))
    cairn = Server(flavour="cairn", backend=backend, workdir=etcd_source.workdir,
                   ports=(etcd_source._client, etcd_source._peer))
    try:
        cairn.start()
        check_same(cairn, want, want_auth)
        # etcd's files are kept, not deleted.
        assert sorted(os.listdir(os.path.join(member, "wal.etcd-imported"))) == etcd_wal
        assert os.path.isfile(os.path.join(member, "snap.etcd-imported", "db"))
    finally:
        cairn.cleanup()


def test_damaged_etcd_db_refuses_to_start_and_stays(etcd_source, tmp_path):
    snap = save(etcd_source, str(tmp_path / "etcd.db"))
    cairn = Server(flavour="cairn")
    try:
        restore_into(snap, cairn)
        db = os.path.join(cairn.data_dir, "member", "snap", "db")
        with open(db, "r+b") as f:
            f.truncate(3 * 4096)
        with open(db, "rb") as f:
            before = f.read()
        cairn.start(wait=False)
        assert cairn.proc.wait(timeout=30) != 0
        assert "bbolt file corrupt" in cairn.log_text()
        with open(db, "rb") as f:
            assert f.read() == before
        assert os.path.isdir(os.path.join(cairn.data_dir, "member", "wal"))
    finally:
        cairn.cleanup()


def test_lease_keeps_its_id_and_ttl(etcd_source, tmp_path):
    snap = save(etcd_source, str(tmp_path / "etcd.db"))
    cairn = Server(flavour="cairn")
    try:
        restore_into(snap, cairn)
        cairn.start()
        r = json.loads(cairn.ctl("lease", "timetolive", "%x" % LEASE_ID, "--keys", "-w",
                                 "json").check().out)
        assert r["granted-ttl"] == 600 and 0 < r["ttl"] <= 600
        assert cairn.ctl("lease", "revoke", "%x" % LEASE_ID).rc == 0
        assert etcdctl(cairn.endpoint, "get", "l").check().out == ""
    finally:
        cairn.cleanup()


def test_another_members_data_dir_refuses_and_stays(etcd_source):
    etcd_source.stop()
    member = os.path.join(etcd_source.data_dir, "member")

    def listing():
        return sorted(os.path.relpath(os.path.join(d, f), member)
                      for d, _, files in os.walk(member) for f in files)

    before = listing()
    # Ids derive from the peer URLs and the token: another token, another member.
    cairn = Server(flavour="cairn", extra_args=["--initial-cluster-token=not-etcds"],
                   workdir=etcd_source.workdir, ports=(etcd_source._client, etcd_source._peer))
    try:
        cairn.start(wait=False)
        assert cairn.proc.wait(timeout=30) != 0
        assert "etcd import: the data dir belongs to member" in cairn.log_text()
    finally:
        cairn.kill()  # the ports and directory stay etcd_source's
    assert [f for f in listing() if not f.startswith("wiredtiger/")] == before
    # etcd still starts on it.
    etcd_source.start()
    assert etcd_source.ctl("get", "a", "--print-value-only").check().out.strip() == "4"


def test_cairn_snapshot_restores_into_cairn_across_backends(make_server, tmp_path):
    source = make_server(flavour="cairn", backend="memory")
    write_history(source)
    add_auth_objects(source)
    want, want_auth = dump(source), auth_objects(source)
    snap = save(source, str(tmp_path / "cairn.db"))
    cairn = Server(flavour="cairn", backend="wiredtiger")
    try:
        restore_into(snap, cairn)
        cairn.start()
        check_same(cairn, want, want_auth)
    finally:
        cairn.cleanup()


def test_etcd_snapshot_restored_into_a_cairn_cluster(etcd_source, tmp_path):
    want, want_auth = dump(etcd_source), auth_objects(etcd_source)
    snap = save(etcd_source, str(tmp_path / "etcd.db"))
    cluster = Cluster(size=3, flavour="cairn")
    try:
        # Each member restores the same file with its own name and peer URLs.
        for m in cluster.members:
            r = etcdctl("http://127.0.0.1:1", "snapshot", "restore", snap,
                        f"--data-dir={m.data_dir}", f"--name={m.name}",
                        f"--initial-cluster={cluster.initial_cluster()}",
                        f"--initial-cluster-token={cluster.token}",
                        f"--initial-advertise-peer-urls={m.peer_url}")
            assert r.rc == 0, r.err
        cluster.start()
        for m in cluster.members:
            assert dump(m) == want
            assert auth_objects(m) == want_auth
        assert len(cluster.ctl("member", "list").check().out.splitlines()) == 3
        c = cluster.members[0].client()
        try:
            c.put("through-m1", "ok")
        finally:
            c.close()
        r = cluster.members[2].ctl("get", "through-m1", "--print-value-only").check()
        assert r.out.strip() == "ok"
    finally:
        cluster.cleanup()
