"""Maintenance beyond HashKV, driven by python-etcd3 and etcdctl: Alarm
ACTIVATE/GET/DEACTIVATE (python-etcd3's create_alarm, list_alarms,
disarm_alarm; etcdctl alarm list), Maintenance.Hash (python-etcd3's hash():
stable while nothing changes, changed by a write, equal on the members of a
cluster whatever their backend; unchanged by `etcdctl defrag --cluster`),
auto compaction (periodic
with a 1 s retention: the revision of a second ago is compacted, with
etcd's log lines). Each test also runs against etcd 3.4 (CAIRN_BIN unset)."""

import json
import time

import grpc
import pytest

from cairn_cluster import Cluster


def member_id(server):
    r = server.ctl("endpoint", "status", "-w", "json").check()
    return json.loads(r.out)[0]["Status"]["header"]["member_id"]


def test_alarm_activate_list_disarm(make_server, backend):
    s = make_server(backend=backend)
    c = s.client()
    try:
        mid = member_id(s)
        raised = c.create_alarm(member_id=mid)
        assert [(a.member_id, a.alarm_type) for a in raised] == [(mid, 1)]
        assert [(a.member_id, a.alarm_type) for a in c.list_alarms()] == [(mid, 1)]
        assert s.ctl("alarm", "list").check().out.strip() == f"memberID:{mid} alarm:NOSPACE"
        with pytest.raises(grpc.RpcError) as e:
            c.put("k", "v")
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert e.value.details() == "etcdserver: mvcc: database space exceeded"
        # Alarms of another member id are kept apart.
        c.create_alarm(member_id=mid + 1)
        assert len(list(c.list_alarms())) == 2
        c.disarm_alarm(member_id=mid + 1)
        assert [a.member_id for a in c.disarm_alarm(member_id=mid)] == [mid]
        assert list(c.list_alarms()) == []
        # etcd answers Alarm without a response header.
        from etcd3 import etcdrpc
        assert not c.maintenancestub.Alarm(etcdrpc.AlarmRequest(), timeout=10).HasField("header")
        c.put("k", "v")
    finally:
        c.close()


def hash_of(server):
    c = server.client()
    try:
        return c.hash()
    finally:
        c.close()


def write(server):
    c = server.client()
    try:
        c.put("a", "1")
        c.put("b", "2")
        c.put("a", "3")
        c.delete("b")
        c.put("c", "4")
    finally:
        c.close()


def test_hash_stable_and_equal_across_members():
    """Three members (Cairn: one of them on the memory backend) hold the same
    data: their Hash is the same once each applied the last write; a write
    changes it, and it does not change by itself."""
    with Cluster(size=3) as cluster:
        if cluster.flavour == "cairn":
            cluster.members[1].backend = "memory"
        cluster.start()
        cluster.leader()
        write(cluster.members[0])

        def hashes():
            deadline = time.monotonic() + 10
            while True:
                got = [hash_of(m) for m in cluster.members]
                if len(set(got)) == 1 or time.monotonic() > deadline:
                    return got
                time.sleep(0.2)

        first = hashes()
        assert len(set(first)) == 1
        assert hashes() == first
        c = cluster.members[2].client()
        try:
            c.put("d", "5")
        finally:
            c.close()
        second = hashes()
        assert len(set(second)) == 1
        assert second != first
        # etcdctl defrag --cluster: every member from MemberList, defragmented.
        out = cluster.members[0].ctl("defrag", "--cluster").check().out.splitlines()
        assert sorted(out) == sorted(f"Finished defragmenting etcd member[{m.endpoint}]"
                                     for m in cluster.members)
        assert hashes() == second


def test_periodic_auto_compaction(make_server, backend):
    """Retention 1 s: every 100 ms the revision is recorded; after a second
    the revision of a second ago is compacted (the first one is the revision
    at start), and so on each second."""
    s = make_server(backend=backend, extra_args=["--auto-compaction-mode=periodic",
                                                 "--auto-compaction-retention=1s"])
    c = s.client()
    try:
        first = c.put("k", "0").header.revision
        done = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            c.put("k", "x")
            time.sleep(0.05)
            done = [r for r in s.log_records()
                    if r.get("msg") == "completed auto periodic compaction"]
            if any(r["revision"] > first for r in done):
                break
        assert done, s.log_tail()
        assert done[0]["revision"] == first - 1  # the revision before any write
        assert all(r["compact-period"] == "1s" for r in done)
        starts = [r for r in s.log_records() if r.get("msg") == "starting auto periodic compaction"]
        assert starts[0]["revision"] == first - 1
        later = [r["revision"] for r in done if r["revision"] > first]
        assert later, s.log_tail()
        r = s.ctl("get", "k", f"--rev={later[0] - 1}")
        assert r.rc != 0
        assert "required revision has been compacted" in r.err
    finally:
        c.close()
