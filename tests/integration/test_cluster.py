"""Static 3-member clusters of real processes on loopback, driven by etcdctl
and python-etcd3: bootstrap with etcd's ids, replication, member list and
endpoint status --cluster, the leader killed with -9 and restarted. Each
behaviour runs against Cairn and against a 3-member etcd 3.4 cluster."""

import json
import re
import select
import subprocess
import time

import pytest

from cairn_cluster import Cluster
from cairn_harness import cairn_bin, etcdctl

FLAVOURS = ["cairn", "etcd"] if cairn_bin() else ["etcd"]


@pytest.fixture(params=FLAVOURS)
def flavour(request):
    return request.param


def member_list(cluster, endpoint=None):
    r = (cluster.members[0].ctl("member", "list") if endpoint is None else
         endpoint.ctl("member", "list")).check()
    return r.out


def test_same_initial_cluster_gives_etcds_ids_and_member_list():
    if not cairn_bin():
        pytest.skip("compares Cairn with etcd; CAIRN_BIN is not set")
    etcd = Cluster(flavour="etcd")
    cairn = None
    try:
        etcd.start()
        want_status = [m.status() for m in etcd.members]
        want_list = member_list(etcd)
        for m in etcd.members:
            m.kill()
        # Same names, addresses and token: the same ids, the same output.
        cairn = Cluster(flavour="cairn", like=etcd)
        cairn.start()
        got_status = [m.status() for m in cairn.members]
        for want, got in zip(want_status, got_status):
            assert got["header"]["cluster_id"] == want["header"]["cluster_id"]
            assert got["header"]["member_id"] == want["header"]["member_id"]
        got_list = member_list(cairn)
        assert got_list == want_list
        assert len(got_list.splitlines()) == 3
        # Every member answers the same list.
        for m in cairn.members:
            assert m.ctl("member", "list").check().out == want_list
    finally:
        etcd.cleanup()
        if cairn is not None:
            cairn.cleanup()


def test_elects_one_leader_and_reports_it_everywhere(flavour):
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        statuses = json.loads(c.ctl("endpoint", "status", "--cluster", "-w", "json").check().out)
        assert len(statuses) == 3
        assert {s["Endpoint"] for s in statuses} == {m.endpoint for m in c.members}
        ids = {s["Status"]["header"]["member_id"] for s in statuses}
        assert len(ids) == 3
        lid = leader.status()["header"]["member_id"]
        assert {s["Status"]["leader"] for s in statuses} == {lid}
        assert len({s["Status"]["raftTerm"] for s in statuses}) == 1
        assert len({s["Status"]["header"]["cluster_id"] for s in statuses}) == 1
        table = c.ctl("endpoint", "status", "--cluster").check().out
        assert len(table.strip().splitlines()) == 3
        # One line per member names it leader ("true" in the IS LEADER column).
        assert sum(1 for line in table.splitlines() if ", true, " in line) == 1
        health = c.ctl("endpoint", "health", "--cluster")
        assert health.rc == 0, health.err
        assert health.err.count("is healthy") == 3


def scrape(member):
    import urllib.request
    with urllib.request.urlopen(f"{member.endpoint}/metrics", timeout=10) as r:
        return r.read().decode()


def sample(text, name, **labels):
    """The value of one series, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name):line.index("}") + 1]))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_peer_metrics_as_etcd_names_them(flavour):
    """etcd's peer network metrics (the names etcd's dashboards use): bytes
    both ways, active peers and the leader's round trips to its followers,
    labelled with hex member ids."""
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        for i in range(20):
            c.members[i % 3].ctl("put", f"pm{i}", "v").check()
        time.sleep(1)
        lid = format(leader.status()["header"]["member_id"], "x")
        followers = [format(m.status()["header"]["member_id"], "x") for m in c.members
                     if m is not leader]
        text = scrape(leader)
        for f in followers:
            assert sample(text, "etcd_network_peer_sent_bytes_total", To=f) > 0, f
            assert sample(text, "etcd_network_peer_received_bytes_total", From=f) > 0, f
            assert sample(text, "etcd_network_active_peers", Local=lid, Remote=f) == 1, f
            if flavour == "cairn":
                # Cairn times the leader's heartbeats; etcd's prober reports
                # its first round trip only after 30 s.
                assert sample(text, "etcd_network_peer_round_trip_time_seconds_count",
                              To=f) > 0, f
        if flavour == "cairn":
            assert "# TYPE etcd_network_peer_round_trip_time_seconds histogram" in text


def test_move_leader_with_etcdctl(flavour):
    """`etcdctl move-leader` hands leadership to a follower; a learner-free
    unknown id is etcd's "bad leader transferee"; asking through followers
    only is etcdctl's own refusal."""
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        old = format(leader.status()["header"]["member_id"], "x")
        target_member = next(m for m in c.members if m is not leader)
        target = format(target_member.status()["header"]["member_id"], "x")
        r = c.ctl("move-leader", target).check()
        assert r.out.strip() == f"Leadership transferred from {old} to {target}"
        assert c.leader() is target_member
        r = c.ctl("move-leader", "1234")
        assert r.rc != 0 and "etcdserver: bad leader transferee" in r.err, r.err
        followers = [m for m in c.members if m is not target_member]
        r = etcdctl(",".join(m.endpoint for m in followers), "move-leader", old)
        assert r.rc != 0 and "no leader endpoint given at" in r.err, r.err
        # Moving to the leader itself changes nothing and succeeds.
        r = c.ctl("move-leader", target).check()
        assert c.leader() is target_member


def test_a_write_on_one_member_is_read_on_every_other(flavour):
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        follower = next(m for m in c.members if m is not leader)
        for i, writer in enumerate([follower, leader]):
            assert writer.ctl("put", f"k{i}", f"v{i}").check().out == "OK\n"
            for m in c.members:
                # Linearizable: ReadIndex, on followers through the leader.
                assert m.ctl("get", f"k{i}", "--print-value-only").check().out == f"v{i}\n"
                # Serializable, after the linearizable read synced the member.
                assert m.ctl("get", f"k{i}", "--print-value-only",
                             "--consistency=s").check().out == f"v{i}\n"
        # Revisions agree on every member.
        revs = {json.loads(m.ctl("get", "k0", "-w", "json").check().out)["header"]["revision"]
                for m in c.members}
        assert len(revs) == 1
        # A txn and a delete through a follower.
        r = follower.ctl("txn", stdin="value(\"k0\") = \"v0\"\n\nput k2 v2\n\n\n").check()
        assert "SUCCESS" in r.out
        assert follower.ctl("del", "k1").check().out == "1\n"
        for m in c.members:
            assert m.ctl("get", "k", "--prefix", "--keys-only").check().out.split() == ["k0", "k2"]


def test_leader_killed_new_leader_writes_continue_restart_catches_up(flavour):
    import etcd3
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        survivors = [m for m in c.members if m is not leader]
        client = etcd3.client(survivors[0].host, survivors[0].client_port, timeout=15)
        acked = []
        for i in range(30):
            client.put(f"w/{i:03d}", str(i))
            acked.append(i)
        leader.kill()
        # Writes through a survivor go on once a new leader is elected; a
        # write that fails with etcd's errors may or may not have happened.
        errors = []
        i = 30
        deadline = time.monotonic() + 60
        while len(acked) < 60 and time.monotonic() < deadline:
            try:
                client.put(f"w/{i:03d}", str(i))
                acked.append(i)
            except Exception as e:  # noqa: BLE001 (recorded and checked below)
                # python-etcd3 wraps the gRPC error; its details are etcd's text.
                cause = e.__cause__ or e.__context__
                errors.append(cause.details() if hasattr(cause, "details") else str(e))
                time.sleep(0.2)
            i += 1
        assert len(acked) == 60, errors
        for e in errors:
            assert re.search(r"^etcdserver: (leader changed|no leader|request timed out)|"
                             r"Deadline Exceeded|Socket closed|failed to connect", e), e
        new_leader = c.leader()
        assert new_leader is not leader
        for m in survivors:
            got = m.ctl("get", "w/", "--prefix", "--keys-only").check().out.split()
            assert {f"w/{i:03d}" for i in acked} <= set(got)
        client.close()

        leader.start()
        got = leader.ctl("get", "w/", "--prefix", "--keys-only", "--consistency=s").check()
        assert {f"w/{i:03d}" for i in acked} <= set(got.out.split())
        assert c.leader() is not None
        assert len(member_list(c).splitlines()) == 3
        # The restarted member serves writes too (forwarded to the leader).
        assert leader.ctl("put", "after", "restart").check().out == "OK\n"
        for m in c.members:
            assert m.ctl("get", "after", "--print-value-only").check().out == "restart\n"
        # Every member holds the same history: HashKV at one revision agrees.
        rev = json.loads(c.members[0].ctl("get", "after", "-w", "json").check().out)[
            "header"]["revision"]
        hashes = set()
        for m in c.members:
            m.ctl("get", "after").check()  # linearizable: m has applied rev
            out = m.ctl("endpoint", "hashkv", f"--rev={rev}", "-w", "json").check().out
            hashes.add(json.loads(out)[0]["HashKV"]["hash"])
        assert len(hashes) == 1, hashes


def test_leases_and_watches_work_on_every_member(flavour):
    import etcd3
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        f1, f2 = [m for m in c.members if m is not leader]
        # Granted through a follower, kept alive and looked up on the other.
        out = f1.ctl("lease", "grant", "30").check().out
        lease_hex = re.match(r"lease ([0-9a-f]+) granted with TTL\(30s\)", out).group(1)
        assert f1.ctl("put", "leased", "v", f"--lease={lease_hex}").check().out == "OK\n"
        ka = f2.ctl("lease", "keep-alive", "--once", lease_hex).check().out
        assert ka == f"lease {lease_hex} keepalived with TTL(30)\n"
        ttl = f2.ctl("lease", "timetolive", lease_hex, "--keys").check().out
        m = re.match(rf"lease {lease_hex} granted with TTL\(30s\), remaining\((\d+)s\), "
                     r"attached keys\(\[leased\]\)\n", ttl)
        assert m and 25 <= int(m.group(1)) <= 30, ttl
        assert lease_hex in f1.ctl("lease", "list").check().out
        # An unknown lease: TimeToLive says so, on a follower as on the leader.
        for member in (leader, f1):
            assert member.ctl("lease", "timetolive", "1234abcd").check().out == \
                "lease 000000001234abcd already expired\n"
        # A watch on a follower sees a write made on the leader.
        client = etcd3.client(f2.host, f2.client_port, timeout=10)
        events, cancel = client.watch("watched")
        try:
            assert leader.ctl("put", "watched", "x").check().out == "OK\n"
            ev = next(events)
            assert ev.key == b"watched" and ev.value == b"x"
        finally:
            # Not closed: python-etcd3's watch thread would then raise
            # "Channel closed" after the test.
            cancel()
        # Revoked through the other follower: the key is gone everywhere.
        assert f2.ctl("lease", "revoke", lease_hex).check().out == f"lease {lease_hex} revoked\n"
        for member in c.members:
            assert member.ctl("get", "leased").check().out == ""


def test_a_watch_requiring_a_leader_ends_when_the_member_loses_it(flavour):
    """etcdctl watches with clientv3.WithRequireLeader: once its member has
    had no leader for three election timeouts the stream ends with "no
    leader" (and etcdctl exits), where a plain watch would hang silently."""
    with Cluster(flavour=flavour) as c:
        c.start()
        c.leader()
        m1, m2, m3 = c.members
        w = subprocess.Popen(["etcdctl", f"--endpoints={m1.endpoint}", "watch", "k"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while True:  # the watch is created once a put reaches it
                m1.ctl("put", "k", "v1").check()
                time.sleep(0.3)
                if time.monotonic() > deadline or w.poll() is not None:
                    break
                if select.select([w.stdout], [], [], 0)[0]:
                    break
            m2.kill()
            m3.kill()
            out, err = w.communicate(timeout=30)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        assert out.startswith("PUT\nk\nv1\n"), out
        assert w.returncode == 5, (w.returncode, err)
        assert err.splitlines()[-2:] == ["watch was canceled (etcdserver: no leader)",
                                         "Error: watch is canceled by the server"], err


def test_a_keep_alive_requiring_a_leader_ends_when_the_member_loses_it(flavour):
    """clientv3 opens its keep-alive streams WithRequireLeader (gRPC metadata
    hasleader=true): once the member has had no leader for three election
    timeouts the stream ends with "etcdserver: no leader" (etcd cancels it
    then; Cairn at the stream's next keep-alive, sent here every 0.2 s)."""
    import grpc
    from etcd_protos import KeepAliveStream, pb, unary
    with Cluster(flavour=flavour) as c:
        c.start()
        c.leader()
        m1, m2, m3 = c.members
        ch = grpc.insecure_channel(f"127.0.0.1:{m1.client_port}")
        try:
            lease = unary(ch, "Lease", "LeaseGrant", pb.LeaseGrantRequest(TTL=60),
                          "LeaseGrantResponse").ID
            ka = KeepAliveStream(ch, metadata=(("hasleader", "true"),))
            ka.keep_alive(lease)
            assert ka.next().TTL > 0
            m2.kill()
            m3.kill()
            killed = time.monotonic()
            ended = None
            while ended is None and time.monotonic() - killed < 30:
                ka.keep_alive(lease)
                try:
                    ka.next(timeout=0.2)
                except AssertionError:
                    continue  # no answer yet
                except grpc.RpcError as e:
                    ended = e
            assert ended is not None, "the stream never ended"
            assert ended.code() == grpc.StatusCode.UNAVAILABLE, ended
            assert ended.details() == "etcdserver: no leader", ended
        finally:
            ch.close()


def test_a_stopping_leader_hands_over_leadership_first(flavour):
    """A leader stopped gracefully transfers leadership to the voter it has
    been connected to the longest before it exits (etcd's
    TransferLeadership), so the others lead without an election timeout."""
    with Cluster(flavour=flavour) as c:
        c.start()
        leader = c.leader()
        before = leader.status()["header"]["raft_term"]
        leader.stop()
        records = [r for r in leader.log_records() if "leadership transfer" in r.get("msg", "")]
        assert [r["msg"] for r in records] == ["leadership transfer starting",
                                               "leadership transfer finished"], records
        new_id = records[1]["new-leader-member-id"]
        rest = [m for m in c.members if m is not leader]
        new_leader = c.leader(members=rest, timeout=5)
        status = new_leader.status()
        assert format(status["header"]["member_id"], "x") == new_id
        # Handed over: one term later, no election rounds in between.
        assert status["header"]["raft_term"] == before + 1
        assert rest[0].ctl("put", "after", "handover").check().out == "OK\n"


def test_a_member_of_another_cluster_is_refused_by_its_peers(flavour):
    with Cluster(flavour=flavour) as c:
        odd = c.members[2]
        # Another token: another cluster id for the same member list.
        odd.token = c.token + "-other"
        c.start(members=c.members[:2])
        odd.start(wait=False)
        leader = c.leader(members=c.members[:2])
        assert leader in c.members[:2]

        def logged(member, msg):
            return any(r.get("msg") == msg for r in member.log_records())

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
                logged(odd, "request sent was ignored by remote peer due to cluster ID mismatch")
                and any(logged(m, "request cluster ID mismatch") for m in c.members[:2])):
            time.sleep(0.2)
        assert logged(odd, "request sent was ignored by remote peer due to cluster ID mismatch")
        assert any(logged(m, "request cluster ID mismatch") for m in c.members[:2])
        # The two that agree serve; the odd one never joined them.
        assert c.members[0].ctl("put", "k", "v").check().out == "OK\n"
        assert c.members[1].ctl("get", "k", "--print-value-only").check().out == "v\n"
        # It serves nothing: it never became ready.
        assert odd.ctl("--command-timeout=2s", "get", "k", timeout=20).rc != 0


BAD_BOOTSTRAPS = [
    # The local name is not in --initial-cluster.
    ["--name=x", "--initial-cluster=a=http://127.0.0.1:{p1},b=http://127.0.0.1:{p2}",
     "--initial-advertise-peer-urls=http://127.0.0.1:{p1}"],
    # --initial-cluster names other URLs for this member than it advertises.
    ["--name=a", "--initial-cluster=a=http://127.0.0.1:{p3},b=http://127.0.0.1:{p2}",
     "--initial-advertise-peer-urls=http://127.0.0.1:{p1}"],
    # Two members share a URL.
    ["--name=a", "--initial-cluster=a=http://127.0.0.1:{p1},b=http://127.0.0.1:{p1}",
     "--initial-advertise-peer-urls=http://127.0.0.1:{p1}"],
]


@pytest.mark.parametrize("case", range(len(BAD_BOOTSTRAPS)))
def test_a_bad_initial_cluster_is_refused_with_etcds_message(case, tmp_path):
    if not cairn_bin():
        pytest.skip("compares Cairn with etcd; CAIRN_BIN is not set")
    from cairn_harness import ETCD_BIN, reserve_port, run_binary
    ports = [reserve_port() for _ in range(4)]
    try:
        p1, p2, p3, client = (r.port for r in ports)
        args = [a.format(p1=p1, p2=p2, p3=p3) for a in BAD_BOOTSTRAPS[case]] + [
            f"--listen-peer-urls=http://127.0.0.1:{p1}",
            f"--listen-client-urls=http://127.0.0.1:{client}",
            f"--advertise-client-urls=http://127.0.0.1:{client}"]
        errors = {}
        for name, binary, extra in (("etcd", ETCD_BIN, ["--logger=zap"]),
                                    ("cairn", cairn_bin(), [])):
            rc, out, err = run_binary(binary, [f"--data-dir={tmp_path / name}", *args, *extra])
            assert rc != 0, (name, out, err)
            fatal = [json.loads(line) for line in (out + err).splitlines()
                     if line.startswith("{") and '"error"' in line]
            errors[name] = fatal[-1]["error"]
            # Refused before anything was written.
            assert not (tmp_path / name / "member" / "wal").exists()
        assert errors["cairn"] == errors["etcd"]
    finally:
        for r in ports:
            r.release()
