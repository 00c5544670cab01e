"""A 3-member (or 5-member) cluster under faults while clients write and read, judged by
what users rely on. Each member runs in its own network namespace
(tests/lib/netns_cluster.py); a nemesis cuts the leader off from its peers,
kill -9s and restarts members, throttles and isolates followers, while
python-etcd3 clients (one per member, plus one on the member the nemesis
hits) put and get a few keys with unique values, recording when each call
began and ended. Then, with the network healed and every member running:

- every acknowledged put is on every member: a serializable Range at the
  put's revision, on each member, returns the value written with that
  mod revision;
- HashKV at the final revision is equal on every member;
- the recorded history is linearizable (tests/lib/linearizability.py):
  no stale or lost read, whatever the faults did.

The same run against etcd 3.4 checks the test itself. `make test` runs a
short schedule (~20 s of faults per server, 3 members); `make fault` sets
CAIRN_CLUSTER_FAULT_SECONDS for a long random one on 3 and 5 members
(CAIRN_CLUSTER_FAULT_SIZES); CAIRN_FAULT_SEED replays a schedule. Needs root for the
namespaces; skipped, saying so, without it."""

import math
import os
import random
import threading
import time

import etcd3
import pytest
from etcd3.etcdrpc import rpc_pb2

from cairn_harness import cairn_bin
from linearizability import Op, check_history
from netns_cluster import NetnsCluster, netns_available

KEYS = ["k0", "k1", "k2"]
FAULT_SECONDS = int(os.environ.get("CAIRN_CLUSTER_FAULT_SECONDS", "0"))
SIZES = [int(n) for n in os.environ.get("CAIRN_CLUSTER_FAULT_SIZES", "3").split(",")]


def flavours():
    out = ["etcd"]
    if cairn_bin():
        out.append("cairn")
    elif os.environ.get("CAIRN_REQUIRE_BIN") == "1":
        out.append("cairn")  # cairn_bin() is None: the test fails loudly below
    return out


class Recorder:
    """The clients' history, and the puts that were acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = []
        self.acked = []  # (key, value, revision)
        self.errors = 0

    def add(self, op, revision=None):
        with self.lock:
            self.ops.append(op)
            if revision is not None:
                self.acked.append((op.key, op.value, revision))


def client_loop(name, member, recorder, stop, seed):
    rnd = random.Random(seed)
    client = None
    seq = 0
    while not stop.is_set():
        if client is None:
            client = etcd3.client(member.host, member.client_port, timeout=2)
        key = rnd.choice(KEYS)
        seq += 1
        is_put = rnd.random() < 0.5
        value = f"{name}-{seq}"
        call = time.monotonic()
        try:
            if is_put:
                resp = client.put(key, value)
                recorder.add(Op(name, "put", key, value, call, time.monotonic()),
                             resp.header.revision)
            else:
                got, _ = client.get(key)
                recorder.add(Op(name, "get", key, got.decode() if got is not None else None,
                                call, time.monotonic()))
        except Exception:  # timeouts, leader changes, a killed member
            with recorder.lock:
                recorder.errors += 1
            # A put that failed may still have been applied: its outcome is
            # unknown. A failed get tells nothing.
            if is_put:
                recorder.add(Op(name, "put", key, value, call, math.inf))
            client.close()
            client = None
            time.sleep(0.05)
    if client is not None:
        client.close()


def ensure_running(cluster):
    for m in cluster.members:
        if m.proc is None:
            m.start(wait=False)
    for m in cluster.members:
        m.wait_ready()


def nemesis(cluster, stop, seed, seconds, log):
    """Short fixed schedule, or `seconds` of random faults."""
    rnd = random.Random(seed)

    def leader():
        return cluster.leader(members=[m for m in cluster.members if m.proc is not None],
                              timeout=30)

    def isolate_leader():
        m = leader()
        log.append(f"isolate leader {m.name}")
        cluster.isolate(m)
        time.sleep(rnd.uniform(2, 4))
        cluster.heal(m)

    def kill_one():
        m = rnd.choice(cluster.members)
        log.append(f"kill -9 {m.name}")
        m.kill()
        time.sleep(rnd.uniform(0.5, 2))
        m.start(wait=False)
        m.wait_ready()

    def on_follower(name, fault, longest):
        def run():
            lead = leader()
            m = rnd.choice([x for x in cluster.members if x is not lead])
            log.append(f"{name} {m.name}")
            fault(m)
            time.sleep(rnd.uniform(1, longest))
            cluster.heal(m)
        return run

    throttle_follower = on_follower("throttle", cluster.throttle, 3)
    isolate_follower = on_follower("isolate follower", cluster.isolate, 3)

    faults = [isolate_leader, kill_one, throttle_follower, isolate_follower]
    time.sleep(1.5)
    if seconds <= 0:
        schedule = faults
    else:
        deadline = time.monotonic() + seconds
        schedule = iter(lambda: rnd.choice(faults) if time.monotonic() < deadline else None, None)
    for fault in schedule:
        if stop.is_set():
            break
        fault()
        ensure_running(cluster)
        time.sleep(rnd.uniform(0.5, 1.5))
    stop.set()


def settle_revision(member, revision, timeout=30):
    """Waits until `member` has applied `revision` (serializable reads)."""
    deadline = time.monotonic() + timeout
    client = etcd3.client(member.host, member.client_port, timeout=5)
    try:
        while time.monotonic() < deadline:
            try:
                r = client.kvstub.Range(rpc_pb2.RangeRequest(key=b"k0", serializable=True),
                                        timeout=5)
                if r.header.revision >= revision:
                    return
            except Exception:
                pass
            time.sleep(0.2)
    finally:
        client.close()
    raise AssertionError(f"{member.name} did not reach revision {revision}")


def verify(cluster, recorder):
    assert recorder.acked, "no put was acknowledged: the run proves nothing"
    final = cluster.members[0].client().put("final", "x").header.revision
    for m in cluster.members:
        settle_revision(m, final)
    hashes = set()
    for m in cluster.members:
        client = etcd3.client(m.host, m.client_port, timeout=10)
        try:
            for key, value, rev in recorder.acked:
                r = client.kvstub.Range(rpc_pb2.RangeRequest(key=key.encode(), revision=rev,
                                                             serializable=True), timeout=10)
                assert len(r.kvs) == 1 and r.kvs[0].value == value.encode() and \
                    r.kvs[0].mod_revision == rev, \
                    f"{m.name}: acknowledged put {key}={value}@{rev} reads back as {r.kvs}"
            h = client.maintenancestub.HashKV(rpc_pb2.HashKVRequest(revision=final), timeout=10)
            hashes.add(h.hash)
        finally:
            client.close()
    assert len(hashes) == 1, f"HashKV at revision {final} differs between members: {hashes}"
    failures = check_history(recorder.ops)
    assert not failures, "history is not linearizable:\n" + "\n".join(
        f"key {k}:\n  " + "\n  ".join(map(repr, window)) for k, window in failures)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("flavour", flavours())
def test_cluster_under_faults(flavour, size):
    reason = netns_available()
    if reason:
        pytest.skip(reason)
    if flavour == "cairn" and not cairn_bin():
        pytest.fail("CAIRN_REQUIRE_BIN=1 but CAIRN_BIN is not set")
    seed = int(os.environ.get("CAIRN_FAULT_SEED", str(random.randrange(1 << 30))))
    with NetnsCluster(size, flavour=flavour) as cluster:
        cluster.start()
        recorder = Recorder()
        stop = threading.Event()
        log = [f"seed {seed}"]
        clients = [threading.Thread(target=client_loop, args=(f"c{i}", m, recorder, stop,
                                                             seed + i), daemon=True)
                   for i, m in enumerate(cluster.members + cluster.members[:1])]
        for t in clients:
            t.start()
        try:
            nemesis(cluster, stop, seed, FAULT_SECONDS, log)
        finally:
            stop.set()
            for t in clients:
                t.join(30)
            cluster.heal_all()
        ensure_running(cluster)
        cluster.leader()
        ops = len(recorder.ops)
        print(f"{flavour}, {size} members: {ops} operations, {len(recorder.acked)} acknowledged puts, "
              f"{recorder.errors} errors; faults: {'; '.join(log)}")
        verify(cluster, recorder)
