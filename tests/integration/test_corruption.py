"""Corruption checks (etcd's etcdserver/corrupt.go) on a real 3-member
cluster, Cairn or etcd 3.4: one follower's stored data is altered offline,
then

- restarted with --experimental-initial-corrupt-check it refuses to start
  (exit code 1) with etcd's "<id> found data inconsistency with peers"
  after logging etcd's "found different hash values from remote peer" for
  each peer; a healthy member restarted with the flag passes;
- restarted without it, the leader's periodic check
  (--experimental-corrupt-check-time=1s) raises CORRUPT through raft:
  `etcdctl alarm list` shows it (member id 0, so etcdctl prints only
  `alarm:CORRUPT`, as etcd 3.4.23 raises it) and puts fail with
  "etcdserver: corrupt cluster".

The corruption: Cairn's WiredTiger backend is rewritten with tests/tools'
cairn-test-corrupt-kv; etcd's bbolt file is patched in place (a value of
the same length, so bbolt's pages stay valid). Both give the same history,
so the hashes are the same numbers on both (HashKV is byte-equal to
etcd's). --snapshot-count=3: etcd 3.4 learns its members at start from its
last v2 snapshot only (its getPeerHashKVs "TODO"), so without one its
initial check asks nobody; Cairn's members bucket always has them."""

import os
import subprocess
import time

from cairn_cluster import Cluster
from cairn_harness import cairn_bin

VALUE = "value-to-corrupt-0003"
CORRUPTED = "VALUE-to-corrupt-0003"
# HashKV at revision 6 of puts k0..k4 = value-to-corrupt-000<i> (revisions
# 2..6), and the same with k3's value replaced: etcd 3.4's numbers.
GOOD_HASH = 1308159996
BAD_HASH = 3831960375


def corrupt(member):
    """Rewrites k3's value in the stopped member's stored data."""
    if member.flavour == "cairn":
        tool = os.path.join(os.path.dirname(cairn_bin()), "cairn-test-corrupt-kv")
        r = subprocess.run([tool, os.path.join(member.data_dir, "member", "wiredtiger"), "k3",
                            CORRUPTED], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert "rewrote 1 revision(s) of k3" in r.stdout
        return
    db = os.path.join(member.data_dir, "member", "snap", "db")
    with open(db, "rb") as f:
        data = f.read()
    assert VALUE.encode() in data
    with open(db, "wb") as f:
        f.write(data.replace(VALUE.encode(), CORRUPTED.encode()))


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def member_id_hex(member):
    return format(member.status()["header"]["member_id"], "x")


def test_corrupted_follower_refused_at_start_and_alarmed_by_leader():
    with Cluster(3, extra_args=["--experimental-corrupt-check-time=1s",
                                "--snapshot-count=3"]) as c:
        c.start()
        for i in range(5):
            c.ctl("put", f"k{i}", f"value-to-corrupt-{i:04d}").check()
        rev = c.members[0].status()["header"]["revision"]
        wait_for(lambda: all(m.status()["header"]["revision"] == rev for m in c.members), 10,
                 "every member at the last revision")
        leader = c.leader()
        victim, healthy = [m for m in c.members if m is not leader][:2]
        victim_id = member_id_hex(victim)
        assert any(r.get("msg") == "enabled corruption checking" and r.get("interval") == "1s"
                   for r in leader.log_records())

        # A healthy member passes the initial check.
        healthy.stop()
        healthy.extra_args.append("--experimental-initial-corrupt-check")
        healthy.start()
        msgs = healthy.log_messages()
        assert "starting initial corruption check" in msgs
        assert "initial corruption checking passed; no corruption" in msgs

        victim.stop()
        corrupt(victim)

        # The initial check refuses the start, as etcd's does (exit code 1).
        victim.extra_args.append("--experimental-initial-corrupt-check")
        victim.start(wait=False)
        rc = victim.proc.wait(30)
        victim._closed()
        assert rc == 1, victim.log_tail()
        records = victim.log_records()
        different = [x for x in records
                     if x.get("msg") == "found different hash values from remote peer"]
        assert len(different) == 2, victim.log_tail()
        for x in different:
            assert x["local-member-id"] == victim_id
            assert x["local-member-revision"] == rev
            assert x["remote-peer-revision"] == rev
            assert x["local-member-compact-revision"] == -1
            assert x["local-member-hash"] == BAD_HASH
            assert x["remote-peer-hash"] == GOOD_HASH
            # etcd names the peer by the unset member id of its answer.
            assert x["remote-peer-id"] == "0"
        assert f"{victim_id} found data inconsistency with peers" in victim.log_text()
        assert "initial corruption checking passed; no corruption" not in victim.log_messages()

        # Without the initial check it starts; the leader's next check finds
        # it and raises CORRUPT for the cluster.
        victim.extra_args.remove("--experimental-initial-corrupt-check")
        victim.start()
        wait_for(lambda: "alarm:CORRUPT" in c.ctl("alarm", "list").check().out, 20,
                 "the CORRUPT alarm")
        assert c.ctl("alarm", "list").check().out.strip() == "alarm:CORRUPT"
        # Whoever leads now checked (the leader may have changed meanwhile).
        warned = [x for m in c.members for x in m.log_records()
                  if x.get("msg") == "same compact revision then hashes must match"]
        assert warned and warned[0]["follower-peer-id"] == victim_id
        assert (warned[0]["leader-hash"], warned[0]["follower-hash"]) == (GOOD_HASH, BAD_HASH)
        assert any("finished peer corruption check" in m.log_messages() for m in c.members)

        # Every member refuses writes now, as etcd's corrupt applier does.
        for m in c.members:
            put = m.ctl("put", "after", "x")
            assert put.rc != 0
            assert "etcdserver: corrupt cluster" in put.err, put
