"""A member started alone grows, as etcd's does: it listens on its peer URLs
from the start, `etcdctl member add` a learner and then a voter (the single
voter loses its quorum until the new one starts), each started with
--initial-cluster-state=existing; the learner is promoted through a
follower, which hands the promotion to the leader (etcd's
/members/promote/<id>) and returns its answer; every key reaches every
member. The etcdctl transcript of Cairn must equal etcd 3.4's. Also: a
member whose peer port is taken refuses to start, with etcd's message,
before it writes its data dir."""

import json
import re
import time

import pytest

from cairn_cluster import Cluster, ClusterMember
from cairn_harness import ETCD_BIN, Server, cairn_bin, etcdctl, reserve_port, run_binary
from test_membership import Transcript, member_ids, same_transcript_as_etcd, wait_status


def wait_leader(member, want_none, timeout=20):
    """Waits until `member` names no leader (want_none) or some leader."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = wait_status(member)
        if (st.get("leader", 0) == 0) == want_none:
            return True
        time.sleep(0.2)
    return False


def wait_keys(member, want, timeout=30):
    """The keys under k (serializable, from `member` alone) once they are `want`."""
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        r = etcdctl(member.endpoint, "get", "k", "--prefix", "--consistency=s", timeout=10)
        got = r.out if r.rc == 0 else r.err
        if r.rc == 0 and got.split() == want:
            return got
        time.sleep(0.2)
    raise AssertionError(f"{member.name} has {got!r}, not {want}\n{member.log_tail()}")


def add_member(t, cluster, via, name, learner):
    m = ClusterMember(cluster, name, flavour=cluster.flavour,
                      workdir=f"{cluster.workdir}/{name}")
    m.cluster_state = "existing"
    cluster.members.append(m)
    t.learn_ports(m)
    flags = ["--learner"] if learner else []
    r = t.ctl(via, "member", "add", name, *flags, f"--peer-urls={m.peer_url}",
              label=f"member add {name}{' --learner' if learner else ''}")
    assert r.rc == 0, r.err
    t.learn(re.search(r"Member\s+([0-9a-f]+) added", r.out).group(1), name)
    t.lines[-1] = t.norm(r.out.strip())
    return m


def session(flavour):
    cluster = Cluster(size=1, flavour=flavour)
    try:
        cluster.start()
        (m1,) = cluster.members
        t = Transcript(cluster)
        t.learn(format(m1.status()["header"]["cluster_id"], "x"), "cluster")
        t.learn(member_ids(m1)["m1"], "m1")
        t.learn_ports(m1)
        keys = []
        for i in range(3):
            t.ctl(m1, "put", f"k{i}", f"v{i}")
            keys += [f"k{i}", f"v{i}"]
        t.member_list(m1)

        # A learner: the single voter keeps its quorum.
        m2 = add_member(t, cluster, m1, "m2", learner=True)
        t.member_list(m1)
        m2.start(wait=False)
        st = wait_status(m2)
        assert st.get("isLearner") is True, st
        wait_keys(m2, keys)
        t.ctl(m1, "put", "k3", "v3")
        keys += ["k3", "v3"]
        t.lines.append(t.norm(wait_keys(m2, keys).strip()))

        # A voter: two voters, one of them not started, have no quorum; the
        # single member loses its leadership until the new one runs.
        m3 = add_member(t, cluster, m1, "m3", learner=False)
        t.lines.append(f"m1 has no leader: {wait_leader(m1, want_none=True)}")
        r = etcdctl(m1.endpoint, "--command-timeout=3s", "put", "lost", "quorum", timeout=30)
        t.lines.append(f"$ put without quorum -> rc={0 if r.rc == 0 else 1}")
        m3.start(wait=False)
        wait_status(m3)
        leader = cluster.leader(members=[m1, m2, m3], timeout=30)
        t.lines.append(f"leader agreed: {leader.name in ('m1', 'm3')}")
        wait_keys(m3, keys)

        # The learner is promoted through the follower (voter, not leader).
        follower = m3 if leader is m1 else m1
        deadline = time.monotonic() + 30
        m2_id = member_ids(m1)["m2"]
        while True:
            r = etcdctl(follower.endpoint, "member", "promote", m2_id, timeout=30)
            if r.rc == 0 or time.monotonic() > deadline:
                break
            assert "in sync with leader" in r.err, r.err
            time.sleep(0.3)
        t.lines.append("$ (follower) member promote m2 -> rc=%d" % (0 if r.rc == 0 else 1))
        t.lines.append(t.norm((r.out if r.rc == 0 else r.err).strip()))
        t.ctl(follower, "member", "promote", m2_id, label="(follower) member promote m2 (again)")
        t.ctl(follower, "member", "promote", "1234abcd5678ef",
              label="(follower) member promote unknown")
        t.ctl(follower, "member", "promote", member_ids(m1)["m3"],
              label="(follower) member promote a voter")

        # Everything everywhere, and one membership seen alike by all.
        t.ctl(m2, "put", "k4", "v4", label="(m2, now a voter) put k4 v4")
        keys += ["k4", "v4"]
        for m in (m1, m2, m3):
            t.lines.append(f"{m.name}: " + " ".join(wait_keys(m, keys).split()))
        lists = [t.norm(etcdctl(m.endpoint, "member", "list", timeout=30).check().out.strip())
                 for m in (m1, m2, m3)]
        assert lists[0] == lists[1] == lists[2], lists
        t.member_list(m2)
        return t.lines
    finally:
        cluster.cleanup()


def test_a_single_member_grows_as_etcd():
    same_transcript_as_etcd(session)


def refused_on_taken_peer_port(flavour, binary, tmp_path):
    holder = Server(flavour=flavour, workdir=str(tmp_path / f"{flavour}-holder"))
    client = reserve_port()
    try:
        holder.start()
        p = f"http://127.0.0.1:{holder.peer_port}"
        c = f"http://127.0.0.1:{client.port}"
        data = tmp_path / f"{flavour}-second"
        args = [f"--data-dir={data}", "--name=second", f"--listen-peer-urls={p}",
                f"--initial-advertise-peer-urls={p}", f"--initial-cluster=second={p}",
                f"--listen-client-urls={c}", f"--advertise-client-urls={c}"]
        if flavour == "etcd":
            args.append("--logger=zap")
        rc, out, err = run_binary(binary, args)
        fatal = [json.loads(line) for line in (out + err).splitlines()
                 if line.startswith("{") and '"fatal"' in line]
        return rc, fatal[-1]["error"] if fatal else None, data.exists(), holder.peer_port
    finally:
        holder.cleanup()
        client.release()


def test_a_taken_peer_port_refuses_the_start_as_etcd(tmp_path):
    if not cairn_bin():
        pytest.skip("compares Cairn with etcd; CAIRN_BIN is not set")
    e_rc, e_error, e_wrote, e_port = refused_on_taken_peer_port("etcd", ETCD_BIN, tmp_path)
    c_rc, c_error, c_wrote, c_port = refused_on_taken_peer_port("cairn", cairn_bin(), tmp_path)
    assert e_rc == 1 and c_rc == 1
    assert e_error == f"listen tcp 127.0.0.1:{e_port}: bind: address already in use"
    assert c_error == f"listen tcp 127.0.0.1:{c_port}: bind: address already in use"
    # Refused before the data dir was made.
    assert not e_wrote and not c_wrote
