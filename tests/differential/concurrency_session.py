"""The scripted lock/election sessions replayed against etcd 3.4 and Cairn.

grpc_session: raw gRPC Lock/Unlock/Campaign/Proclaim/Leader/Observe/Resign
calls, errors included (unknown lease, missing leader key, not leader, no
leader, deadlines), with waiting calls run on threads and released by other
calls. etcdctl_session: `etcdctl lock` (plain, --ttl, exec form printing
ETCD_LOCK_KEY/ETCD_LOCK_REV), `etcdctl elect NAME PROPOSAL` and
`etcdctl elect -l NAME` sharing names with gRPC calls.

Every answer becomes a (label, text) record; the two servers' records are
compared in order. Normalised (and only this): header cluster/member ids and
raft terms; lease ids chosen by the server, as L1, L2, ... in order of first
appearance, in decimal (`lease:`/`ID:` fields) and in hex (inside keys); the
remaining TTL of LeaseTimeToLive. Revisions are compared exactly: both
servers start fresh and see the same writes (first write = revision 2).
Waiting calls are ordered by waiting until their key exists, never by sleeps.
"""

import re
import signal
import time

import grpc
from google.protobuf import text_format

from concurrency_clients import Background, Call, Services, owner_key
from etcd_protos import electionpb, pb

UNKNOWN_LEASE = 0x4242  # never granted
QUIET = 0.5  # seconds of silence that end an Observe read

_HEADER = re.compile(r"\b(cluster_id|member_id|raft_term): ([1-9][0-9]*)")
_DEC_LEASE = re.compile(r"\b(lease|ID): ([1-9][0-9]*)")
_HEX_IN_KEY = re.compile(r"(?<=/)([0-9a-f]{1,16})(?=[\"\s]|$)", re.M)
_REMAINING = re.compile(r"^(\s*)TTL: (-?[0-9]+)$", re.M)


class Transcript:
    def __init__(self):
        self.records = []  # (label, text)
        self._labels = {}  # lease id -> label

    def _label(self, lease_id):
        if lease_id not in self._labels and lease_id != UNKNOWN_LEASE:
            self._labels[lease_id] = f"L{len(self._labels) + 1}"
        return self._labels.get(lease_id)

    def learn(self, lease_id):
        self._label(lease_id)
        return lease_id

    def normalise(self, text):
        text = _HEADER.sub(
            lambda m: f"{m.group(1)}: {'<TERM>' if m.group(1) == 'raft_term' else '<ID>'}", text)

        def dec(m):
            label = self._label(int(m.group(2)))
            return f"{m.group(1)}: {label}" if label else m.group(0)

        text = _DEC_LEASE.sub(dec, text)
        text = _HEX_IN_KEY.sub(lambda m: f"<{self._label(int(m.group(1), 16))}>", text)
        return _REMAINING.sub(lambda m: f"{m.group(1)}TTL: <TTL>", text)

    def record(self, label, text):
        self.records.append((label, self.normalise(text)))

    def message(self, label, msg):
        self.record(label, f"{type(msg).__name__} {{\n"
                           f"{text_format.MessageToString(msg, as_utf8=True)}}}\n")

    def error(self, label, e):
        self.record(label, f"ERROR {e.code().name}: {e.details()}\n")

    def call(self, label, fn, *args, **kwargs):
        """Records fn's answer (or gRPC error); returns the answer or None."""
        try:
            resp = fn(*args, **kwargs)
        except grpc.RpcError as e:
            self.error(label, e)
            return None
        self.message(label, resp)
        return resp

    def finished(self, label, call):
        try:
            resp = call.result()
        except grpc.RpcError as e:
            self.error(label, e)
            return None
        self.message(label, resp)
        return resp

    def observed(self, label, stream, first=()):
        parts = []
        for item in [*first, *stream.drain(QUIET)]:
            if isinstance(item, electionpb.LeaderResponse):
                parts.append(f"LeaderResponse {{\n{text_format.MessageToString(item, as_utf8=True)}}}\n")
            elif isinstance(item, grpc.RpcError):
                parts.append(f"ERROR {item.code().name}: {item.details()}\n")
            else:
                parts.append("<end of stream>\n")
        self.record(label, "".join(parts) or "<nothing>\n")


def _keys(svc, prefix):
    return "".join(f"{kv.key.decode()} create={kv.create_revision} lease: {kv.lease}\n"
                   for kv in svc.range_prefix(prefix).kvs) or "<none>\n"


def _wait_keys(svc, prefix, count, timeout=10):
    deadline = time.monotonic() + timeout
    while len(svc.range_prefix(prefix).kvs) != count and time.monotonic() < deadline:
        time.sleep(0.02)


def grpc_session(server):
    t = Transcript()
    svc = Services(server)
    try:
        _lock_steps(t, svc)
        _election_steps(t, svc)
    finally:
        svc.close()
    return t.records


def _lock_steps(t, svc):
    l1 = t.learn(svc.grant(60))
    l2 = t.learn(svc.grant(60))
    t.call("lock free (txn header)", svc.lock, b"lk", l1)
    t.call("lock again with the same lease", svc.lock, b"lk", l1)
    t.call("lock unknown lease", svc.lock, b"lk", UNKNOWN_LEASE)
    t.call("lock held, 1 s deadline", svc.lock, b"lk", l2, timeout=1)
    _wait_keys(svc, b"lk/", 1)  # the abandoned waiter's key is deleted behind the client's back
    t.record("keys after the abandoned wait", _keys(svc, b"lk/"))

    fresh = t.call("lock with lease 0 (a session lease is granted)", svc.lock, b"lk0", 0)
    if fresh is not None:
        lease0 = int(fresh.key.decode().split("/")[1], 16)
        resp = svc.time_to_live(lease0)
        t.record("the granted session lease", f"grantedTTL: {resp.grantedTTL}\n")

    # Two waiters queue behind the holder and take the lock in order.
    l3 = t.learn(svc.grant(60))
    w2 = Call(svc.lock, b"lk", l2)
    svc.wait_for_key(owner_key("lk", l2).encode())
    w3 = Call(svc.lock, b"lk", l3)
    svc.wait_for_key(owner_key("lk", l3).encode())
    t.record("waiting keys in line", _keys(svc, b"lk/"))
    t.call("unlock the holder", svc.unlock, owner_key("lk", l1).encode())
    t.finished("first waiter acquires (header of its last read)", w2)
    t.record("second waiter still waiting", f"done: {w3.done(0.5)}\n")
    t.call("revoke the first waiter's lease", svc.revoke, l2)
    t.finished("second waiter acquires after the lease revoke", w3)

    t.call("unlock empty key", svc.unlock, b"")
    t.call("unlock a key that does not exist", svc.unlock, b"lk/nothing")
    t.call("unlock the last holder", svc.unlock, owner_key("lk", l3).encode())
    t.record("no keys left", _keys(svc, b"lk/"))


def _election_steps(t, svc):
    t.call("leader of an empty election", svc.leader, b"el")
    early = svc.observe(b"el")
    time.sleep(0.3)  # the observer's watch is in place before the first candidate
    a = t.learn(svc.grant(60))
    b = t.learn(svc.grant(60))
    won = t.call("campaign on a free election", svc.campaign, b"el", a, b"va")
    t.call("leader", svc.leader, b"el")
    late = svc.observe(b"el")
    late_first = late.next(10)  # its read is done before anything else is written
    waiting = Call(svc.campaign, b"el", b, b"vb")
    svc.wait_for_key(owner_key("el", b).encode())
    t.record("second candidate waiting", f"done: {waiting.done(0.3)}\n")

    leader = won.leader
    t.call("proclaim", svc.proclaim, leader, b"va2")
    stale = electionpb.LeaderKey(name=leader.name, key=leader.key, rev=leader.rev + 100,
                                 lease=leader.lease)
    t.call("proclaim with a stale rev", svc.proclaim, stale, b"x")
    t.call("proclaim without a leader key", svc.proclaim, None, b"x")
    t.call("resign without a leader key", svc.resign, None)
    t.call("resign with a stale rev (etcd answers OK)", svc.resign, stale)
    t.call("campaign again, same lease, new value", svc.campaign, b"el", a, b"va3")
    t.call("leader after re-campaign", svc.leader, b"el")
    t.call("resign", svc.resign, leader)
    t.finished("second candidate elected (first txn's header)", waiting)
    t.call("leader after hand-over", svc.leader, b"el")
    t.call("revoke the leader's lease", svc.revoke, b)
    t.call("leader after the lease revoke", svc.leader, b"el")
    t.observed("observer started on an empty election", early)
    t.observed("observer started with a leader", late, first=[late_first])
    early.cancel()
    late.cancel()

    t.call("campaign with an unknown lease", svc.campaign, b"el", UNKNOWN_LEASE, b"x")
    holder = t.call("campaign with lease 0", svc.campaign, b"el2", 0, b"h")
    c = t.learn(svc.grant(60))
    t.call("campaign on a held election, 1 s deadline", svc.campaign, b"el2", c, b"w", timeout=1)
    _wait_keys(svc, b"el2/", 1)  # the abandoned candidate resigned
    t.record("keys after the abandoned campaign", _keys(svc, b"el2/"))
    if holder is not None:
        t.call("resign the lease-0 leader", svc.resign, holder.leader)


# ------------------------------------------------------------------ etcdctl


def _finish(t, label, bg, sig=None):
    rc, out, err = bg.finish(sig)
    # etcdctl's own retry warnings carry timestamps; only the verdict matters.
    err_lines = [ln for ln in err.splitlines() if '"level":"warn"' not in ln]
    t.record(label, f"exit: {rc}\n--- stdout ---\n{out}--- stderr ---\n" +
             "".join(ln + "\n" for ln in err_lines))


def etcdctl_session(server):
    t = Transcript()
    svc = Services(server)
    ep = server.endpoint
    try:
        # etcdctl lock holds; the gRPC service waits for it; then the exec form.
        holder = Background(ep, "lock", "job")
        assert holder.wait_for("job/"), holder.finish(signal.SIGTERM)
        keys = svc.range_prefix(b"job/").kvs
        t.learn(keys[0].lease)
        t.record("etcdctl lock holds", holder.stdout())
        t.call("gRPC lock while etcdctl holds, 1 s deadline", svc.lock, b"job", 0, timeout=1)
        _wait_keys(svc, b"job/", 1)  # the abandoned waiter's key is deleted server-side
        g = t.learn(svc.grant(60))
        waiter = Call(svc.lock, b"job", g)
        svc.wait_for_key(owner_key("job", g).encode())
        execer = Background(ep, "lock", "--ttl", "5", "job", "--", "sh", "-c",
                            'echo "key=$ETCD_LOCK_KEY rev=$ETCD_LOCK_REV"')
        _wait_keys(svc, b"job/", 3)  # etcdctl's key is in line behind the gRPC waiter
        t.record("keys in line", _keys(svc, b"job/"))
        _finish(t, "etcdctl lock released by SIGTERM", holder, signal.SIGTERM)
        got = t.finished("gRPC waiter acquires after etcdctl", waiter)
        t.record("exec form still waiting", f"exited: {execer.proc.poll() is not None}\n")
        if got is not None:
            t.call("gRPC unlock", svc.unlock, got.key)
        _finish(t, "exec form runs with ETCD_LOCK_KEY/ETCD_LOCK_REV", execer)
        t.record("no lock keys left", _keys(svc, b"job/"))

        # Elections: etcdctl observes and campaigns; gRPC campaigns too.
        observer = Background(ep, "elect", "-l", "pick")
        time.sleep(1.0)  # the observer's watch is in place
        first = Background(ep, "elect", "pick", "ctl-one")
        assert first.wait_for("ctl-one"), first.finish(signal.SIGTERM)
        t.record("etcdctl elected", first.stdout())
        t.call("gRPC leader sees etcdctl", svc.leader, b"pick")
        g2 = t.learn(svc.grant(60))
        campaign = Call(svc.campaign, b"pick", g2, b"grpc-two")
        svc.wait_for_key(owner_key("pick", g2).encode())
        _finish(t, "etcdctl leader resigns on SIGTERM", first, signal.SIGTERM)
        won = t.finished("gRPC candidate elected", campaign)
        if won is not None:
            t.call("gRPC proclaim", svc.proclaim, won.leader, b"grpc-two-b")
        follower = Background(ep, "elect", "pick", "ctl-three")
        svc_keys = []
        deadline = time.monotonic() + 10
        while len(svc_keys) < 2 and time.monotonic() < deadline:
            svc_keys = svc.range_prefix(b"pick/").kvs
            time.sleep(0.05)
        t.learn(svc_keys[-1].lease)
        if won is not None:
            t.call("gRPC resign", svc.resign, won.leader)
        assert follower.wait_for("ctl-three"), follower.finish(signal.SIGTERM)
        t.record("etcdctl follower elected", follower.stdout())
        _finish(t, "etcdctl follower resigns", follower, signal.SIGTERM)
        assert observer.wait_for("ctl-three")
        time.sleep(0.3)
        _finish(t, "etcdctl observer saw every leader", observer, signal.SIGTERM)
        t.call("no leader left", svc.leader, b"pick")
    finally:
        svc.close()
    return t.records
