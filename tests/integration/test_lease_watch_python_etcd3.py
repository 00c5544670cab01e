"""Leases and watches through python-etcd3, plus raw gRPC where python-etcd3
has no API (its generated stubs predate watch ids, fragments and progress
requests: those use tests/lib/etcd_protos.py, the full etcd 3.4 messages).

Every assertion holds against etcd 3.4 (run without CAIRN_BIN). Facts used:
  * minimum lease TTL = ceil(1.5 * election timeout) = 2 s at default flags;
  * MaxLeaseTTL = 9,000,000,000 s;
  * a lease revoke (or expiry) deletes all its keys in ONE revision;
  * leases are renewed to their full TTL when a server (re)becomes leader,
    so a restart never shortens a lease.
"""

import queue
import random
import threading
import time

import grpc
import pytest

import etcd3
from etcd3 import events as etcd3_events

from cairn_harness import Server
from etcd_protos import KeepAliveStream, WatchStream, pb, unary

MIN_TTL = 2
MAX_LEASE_TTL = 9_000_000_000

E_LEASE_NOT_FOUND = ("NOT_FOUND", "etcdserver: requested lease not found")
E_LEASE_EXISTS = ("FAILED_PRECONDITION", "etcdserver: lease already exists")
E_TTL_TOO_LARGE = ("OUT_OF_RANGE", "etcdserver: too large lease TTL")
DUPLICATE_WATCH_ID = "mvcc: duplicate watch ID provided on the WatchStream"

# python-etcd3's watch thread re-dials forever and dies with "Channel closed"
# once a test closes its client: library noise, not a server finding.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")

PUT = pb.mvcc.Event.PUT
DELETE = pb.mvcc.Event.DELETE


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        s.start()
        yield s


@pytest.fixture
def client(server):
    c = server.client()
    yield c
    c.close()


@pytest.fixture
def channel(server):
    ch = grpc.insecure_channel(f"127.0.0.1:{server.client_port}",
                               options=[("grpc.max_receive_message_length", 16 << 20)])
    yield ch
    ch.close()


class Collector:
    """A python-etcd3 watch callback that queues what it gets."""

    def __init__(self):
        self.q = queue.Queue()

    def __call__(self, response_or_error):
        self.q.put(response_or_error)

    def events(self, n, timeout=10):
        """Exactly n events (flattened over responses), in arrival order."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(got)} of {n} events: {[_ev(e) for e in got]}")
            try:
                item = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(item, Exception):
                raise AssertionError(f"watch failed: {item!r}")
            got.extend(item.events)
        assert len(got) == n, f"more events than expected: {[_ev(e) for e in got]}"
        return got

    def responses(self, n, timeout=10):
        out = []
        for _ in range(n):
            item = self.q.get(timeout=timeout)
            if isinstance(item, Exception):
                raise AssertionError(f"watch failed: {item!r}")
            out.append(item)
        return out

    def silence(self, seconds=0.7):
        try:
            item = self.q.get(timeout=seconds)
        except queue.Empty:
            return
        shown = [_ev(e) for e in item.events] if hasattr(item, "events") else item
        raise AssertionError(f"unexpected watch delivery: {shown}")


def _ev(e):
    kind = "PUT" if isinstance(e, etcd3_events.PutEvent) else "DELETE"
    return (kind, e.key, e.value, e.mod_revision)


def _rev(client):
    return client.get_response("lw/any-key").header.revision


def _err(exc):
    return (exc.code().name, exc.details())


# ================================================================ python-etcd3 watches


def test_watch_callback_events_in_order_exactly_once(client):
    cb = Collector()
    wid = client.add_watch_callback("cb/k", cb)
    try:
        r1 = client.put("cb/k", "1").header.revision
        r2 = client.put("cb/k", "2").header.revision
        client.put("cb/other", "x")  # not watched
        assert client.delete("cb/k")
        r3 = _rev(client)
        r4 = client.put("cb/k", "3").header.revision
        got = [_ev(e) for e in cb.events(4)]
        assert got == [("PUT", b"cb/k", b"1", r1), ("PUT", b"cb/k", b"2", r2),
                       ("DELETE", b"cb/k", b"", r3), ("PUT", b"cb/k", b"3", r4)]
        cb.silence()
    finally:
        client.cancel_watch(wid)


def test_watch_event_fields(client):
    cb = Collector()
    wid = client.add_watch_callback("fields/k", cb)
    try:
        r1 = client.put("fields/k", "a").header.revision
        r2 = client.put("fields/k", "b").header.revision
        client.delete("fields/k")
        e1, e2, e3 = cb.events(3)
        assert (e1.create_revision, e1.mod_revision, e1.version) == (r1, r1, 1)
        assert (e2.create_revision, e2.mod_revision, e2.version) == (r1, r2, 2)
        # a DELETE carries the key and the deleting revision only
        assert (e3.key, e3.value, e3.create_revision, e3.version) == (b"fields/k", b"", 0, 0)
        assert e3.mod_revision == r2 + 1
    finally:
        client.cancel_watch(wid)


def test_watch_from_past_revision_replays_then_continues(client):
    """History from start_revision, then live events, while a writer keeps
    writing during the catch-up: every revision exactly once, in order."""
    first = client.put("hist/k0", "0").header.revision
    for i in range(1, 20):
        client.put(f"hist/k{i % 4}", str(i))
    stop = threading.Event()
    written = []

    def writer():
        i = 100
        while not stop.is_set() and i < 160:
            written.append(client.put(f"hist/k{i % 4}", str(i)).header.revision)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    cb = Collector()
    wid = client.add_watch_prefix_callback("hist/", cb, start_revision=first + 5)
    try:
        time.sleep(0.3)
        stop.set()
        t.join()
        last = client.put("hist/end", "e").header.revision
        expected = list(range(first + 5, last + 1))
        got = cb.events(len(expected), timeout=20)
        assert [e.mod_revision for e in got] == expected
        assert got[-1].key == b"hist/end"
        cb.silence()
    finally:
        client.cancel_watch(wid)


def test_watch_prefix_and_range(client):
    pcb, rcb = Collector(), Collector()
    pid = client.add_watch_prefix_callback("wp/", pcb)
    rid = client.add_watch_callback("wr/b", rcb, range_end="wr/d")
    try:
        client.put("wp/1", "a")
        client.put("wq/1", "no")
        client.put("wp/2/x", "b")
        for k in ("wr/a", "wr/b", "wr/c", "wr/cz", "wr/d"):
            client.put(k, k)
        assert [e.key for e in pcb.events(2)] == [b"wp/1", b"wp/2/x"]
        assert [e.key for e in rcb.events(3)] == [b"wr/b", b"wr/c", b"wr/cz"]
        pcb.silence(0.3)
        rcb.silence(0.3)
    finally:
        client.cancel_watch(pid)
        client.cancel_watch(rid)


def test_watch_prev_kv(client):
    cb = Collector()
    wid = client.add_watch_callback("pkv/k", cb, prev_kv=True)
    try:
        client.put("pkv/k", "v1")
        client.put("pkv/k", "v2")
        client.delete("pkv/k")
        e1, e2, e3 = cb.events(3)
        assert not e1._event.HasField("prev_kv")
        assert (e2.prev_key, e2.prev_value, e2.prev_version) == (b"pkv/k", b"v1", 1)
        assert isinstance(e3, etcd3_events.DeleteEvent)
        assert (e3.prev_value, e3.prev_version) == (b"v2", 2)
    finally:
        client.cancel_watch(wid)


def test_cancel_watch_stops_delivery(client):
    cb = Collector()
    wid = client.add_watch_callback("cw/k", cb)
    client.put("cw/k", "1")
    assert len(cb.events(1)) == 1
    client.cancel_watch(wid)
    time.sleep(0.3)
    client.put("cw/k", "2")
    cb.silence()


def test_watch_iterator_and_cancel(client):
    it, cancel = client.watch("it/k")
    client.put("it/k", "1")
    client.delete("it/k")
    first = next(it)
    second = next(it)
    assert isinstance(first, etcd3_events.PutEvent) and first.value == b"1"
    assert isinstance(second, etcd3_events.DeleteEvent)
    cancel()


def test_watch_compacted_revision_raises(client):
    client.put("cmp/k", "1")
    rev = client.put("cmp/k", "2").header.revision
    client.compact(rev)
    # etcd 3.4 first confirms the creation, then cancels the watch with the
    # compaction revision: python-etcd3 hands that to the callback as an error.
    cb = Collector()
    client.add_watch_callback("cmp/k", cb, start_revision=rev - 1)
    err = cb.q.get(timeout=10)
    assert isinstance(err, etcd3.exceptions.RevisionCompactedError), err
    assert err.compacted_revision == rev
    cb.silence(0.3)


# ================================================================ python-etcd3 leases


def test_lease_grant_info_refresh_revoke(client):
    lease = client.lease(30)
    assert lease.ttl == 30 and lease.id > 0
    assert lease.granted_ttl == 30
    assert 28 <= lease.remaining_ttl <= 30
    assert list(lease.keys) == []
    client.put("lease/a", "1", lease=lease)
    client.put("lease/b", "2", lease=lease.id)
    _, meta = client.get("lease/a")
    assert meta.lease_id == lease.id
    assert sorted(lease.keys) == [b"lease/a", b"lease/b"]
    info = client.get_lease_info(lease.id)
    assert (info.ID, info.grantedTTL) == (lease.id, 30)
    [ka] = lease.refresh()
    assert (ka.ID, ka.TTL) == (lease.id, 30)
    before = _rev(client)
    lease.revoke()
    assert _rev(client) == before + 1
    assert client.get("lease/a") == (None, None)
    assert client.get("lease/b") == (None, None)
    info = client.get_lease_info(lease.id)
    assert (info.TTL, info.grantedTTL, list(info.keys)) == (-1, 0, [])
    with pytest.raises(grpc.RpcError) as exc:  # python-etcd3 re-raises NOT_FOUND as is
        client.revoke_lease(lease.id)
    assert _err(exc.value) == E_LEASE_NOT_FOUND


def test_lease_min_ttl(client):
    for ttl in (1, 0):
        lease = client.lease(ttl)
        assert lease.ttl == MIN_TTL
        assert lease.granted_ttl == MIN_TTL
        lease.revoke()


def test_put_with_unknown_lease(client):
    with pytest.raises(grpc.RpcError) as exc:
        client.put("lease/none", "v", lease=0x7777_1234)
    assert _err(exc.value) == E_LEASE_NOT_FOUND


def test_refresh_keeps_lease_alive_then_it_expires(client):
    lease = client.lease(MIN_TTL)
    client.put("ka/k", "v", lease=lease)
    end = time.monotonic() + 2.5 * MIN_TTL
    while time.monotonic() < end:
        [resp] = lease.refresh()
        assert resp.TTL == MIN_TTL
        time.sleep(0.5)
    assert client.get("ka/k")[0] == b"v", "a refreshed lease expired"
    deadline = time.monotonic() + MIN_TTL + 5
    while client.get("ka/k")[0] is not None:
        assert time.monotonic() < deadline, "key of an expired lease still there"
        time.sleep(0.2)
    assert lease.remaining_ttl == -1


def test_lease_expiry_deletes_keys_in_one_revision(client):
    cb = Collector()
    wid = client.add_watch_prefix_callback("exp/", cb)
    try:
        lease = client.lease(MIN_TTL)
        for k in ("exp/a", "exp/b", "exp/c"):
            client.put(k, "v", lease=lease)
        puts = cb.events(3)
        before = _rev(client)
        assert before == puts[-1].mod_revision
        deletes = cb.events(3, timeout=MIN_TTL + 8)
        assert all(isinstance(e, etcd3_events.DeleteEvent) for e in deletes)
        assert sorted(e.key for e in deletes) == [b"exp/a", b"exp/b", b"exp/c"]
        assert {e.mod_revision for e in deletes} == {before + 1}
        assert list(client.get_prefix("exp/")) == []
        assert _rev(client) == before + 1
        assert lease.remaining_ttl == -1
        cb.silence(0.3)
    finally:
        client.cancel_watch(wid)


def test_revoke_deletes_keys_in_one_watch_response(client):
    cb = Collector()
    wid = client.add_watch_prefix_callback("rv/", cb)
    try:
        lease = client.lease(60)
        for i in range(5):
            client.put(f"rv/{i}", "v", lease=lease)
        client.put("rv/keep", "v")
        cb.events(6)
        before = _rev(client)
        lease.revoke()
        [resp] = cb.responses(1)
        assert resp.header.revision == before + 1
        assert [type(e) for e in resp.events] == [etcd3_events.DeleteEvent] * 5
        assert sorted(e.key for e in resp.events) == [f"rv/{i}".encode() for i in range(5)]
        assert {e.mod_revision for e in resp.events} == {before + 1}
        assert [m.key for _, m in client.get_prefix("rv/")] == [b"rv/keep"]
        cb.silence(0.3)
    finally:
        client.cancel_watch(wid)


# ================================================================ raw gRPC: leases


def _grant(channel, ttl, lease_id=0):
    return unary(channel, "Lease", "LeaseGrant", pb.LeaseGrantRequest(TTL=ttl, ID=lease_id),
                 "LeaseGrantResponse")


def _revoke(channel, lease_id):
    return unary(channel, "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=lease_id),
                 "LeaseRevokeResponse")


def _ttl(channel, lease_id, keys=False):
    return unary(channel, "Lease", "LeaseTimeToLive",
                 pb.LeaseTimeToLiveRequest(ID=lease_id, keys=keys), "LeaseTimeToLiveResponse")


def _put(channel, key, value, lease=0):
    return unary(channel, "KV", "Put", pb.PutRequest(key=key, value=value, lease=lease),
                 "PutResponse")


def _random_id():
    return random.randint(1 << 40, 1 << 62)


def test_keepalive_stream_several_leases(channel):
    a, b, c = (_grant(channel, ttl).ID for ttl in (10, 20, 30))
    unknown = _random_id()
    ka = KeepAliveStream(channel)
    order = [a, unknown, b, c, a, 0]
    for lid in order:
        ka.keep_alive(lid)
    got = [ka.next() for _ in order]
    assert [(r.ID, r.TTL) for r in got] == [(a, 10), (unknown, 0), (b, 20), (c, 30), (a, 10),
                                            (0, 0)]
    assert all(r.header.revision > 0 for r in got)
    _revoke(channel, b)
    ka.keep_alive(b)
    r = ka.next()
    assert (r.ID, r.TTL) == (b, 0)
    ka.close_send()
    assert ka.next() is None, "server must end the stream after the client half-closes"
    for lid in (a, c):
        _revoke(channel, lid)


def test_time_to_live(channel):
    unknown = _random_id()
    r = _ttl(channel, unknown, keys=True)
    assert (r.ID, r.TTL, r.grantedTTL, list(r.keys)) == (unknown, -1, 0, [])
    lid = _grant(channel, 40).ID
    _put(channel, b"ttl/b", b"1", lease=lid)
    _put(channel, b"ttl/a", b"2", lease=lid)
    r = _ttl(channel, lid, keys=True)
    assert (r.ID, r.grantedTTL) == (lid, 40)
    assert 38 <= r.TTL <= 40
    assert sorted(r.keys) == [b"ttl/a", b"ttl/b"]
    r = _ttl(channel, lid, keys=False)
    assert list(r.keys) == []
    _revoke(channel, lid)


def test_grant_client_chosen_id_and_errors(channel):
    lid = _random_id()
    r = _grant(channel, 15, lid)
    assert (r.ID, r.TTL, r.error) == (lid, 15, "")
    with pytest.raises(grpc.RpcError) as exc:
        _grant(channel, 15, lid)
    assert _err(exc.value) == E_LEASE_EXISTS
    with pytest.raises(grpc.RpcError) as exc:
        _grant(channel, MAX_LEASE_TTL + 1)
    assert _err(exc.value) == E_TTL_TOO_LARGE
    big = _grant(channel, MAX_LEASE_TTL)
    assert big.TTL == MAX_LEASE_TTL
    r = _ttl(channel, big.ID)
    assert r.grantedTTL == MAX_LEASE_TTL and MAX_LEASE_TTL - 2 <= r.TTL <= MAX_LEASE_TTL
    neg = _grant(channel, -5)
    assert neg.TTL == MIN_TTL
    with pytest.raises(grpc.RpcError) as exc:
        _revoke(channel, _random_id())
    assert _err(exc.value) == E_LEASE_NOT_FOUND
    listed = unary(channel, "Lease", "LeaseLeases", pb.LeaseLeasesRequest(), "LeaseLeasesResponse")
    ids = {x.ID for x in listed.leases}
    assert {lid, big.ID} <= ids
    for x in (lid, big.ID):
        _revoke(channel, x)
    listed = unary(channel, "Lease", "LeaseLeases", pb.LeaseLeasesRequest(), "LeaseLeasesResponse")
    assert not {lid, big.ID} & {x.ID for x in listed.leases}


# ================================================================ raw gRPC: watches


def test_watch_client_chosen_id_duplicate_and_cancel(channel):
    w = WatchStream(channel)
    w.create(b"wid/a", watch_id=7)
    r = w.next()
    assert (r.watch_id, r.created, r.canceled) == (7, True, False)
    w.create(b"wid/b", watch_id=7)
    r = w.next()
    assert (r.watch_id, r.created, r.canceled, r.cancel_reason) == (-1, True, True,
                                                                    DUPLICATE_WATCH_ID)
    w.create(b"wid/c", watch_id=0)
    assert (w.next().watch_id) == 0
    w.create(b"wid/d")  # auto ids skip the ones in use
    r = w.next()
    assert (r.watch_id, r.created) == (1, True)
    rev = _put(channel, b"wid/a", b"x").header.revision
    r = w.next()
    assert (r.watch_id, [(e.type, e.kv.key, e.kv.mod_revision) for e in r.events]) == (
        7, [(PUT, b"wid/a", rev)])
    w.cancel_watch(7)
    r = w.next()
    assert (r.watch_id, r.canceled, r.created, list(r.events)) == (7, True, False, [])
    w.cancel_watch(12345)  # unknown id: nothing is sent back
    _put(channel, b"wid/a", b"y")  # the canceled watcher stays silent
    w.expect_silence(0.7)
    rev = _put(channel, b"wid/d", b"z").header.revision
    r = w.next()
    assert (r.watch_id, r.events[0].kv.mod_revision) == (1, rev)
    w.cancel()


def test_watch_filters(channel):
    w = WatchStream(channel)
    w.create(b"flt/k", watch_id=1, filters=[pb.WatchCreateRequest.NOPUT])
    w.create(b"flt/k", watch_id=2, filters=[pb.WatchCreateRequest.NODELETE])
    assert {w.next().watch_id, w.next().watch_id} == {1, 2}
    put_rev = _put(channel, b"flt/k", b"v").header.revision
    unary(channel, "KV", "DeleteRange", pb.DeleteRangeRequest(key=b"flt/k"), "DeleteRangeResponse")
    got = {}
    for _ in range(2):
        r = w.next()
        got[r.watch_id] = [(e.type, e.kv.mod_revision) for e in r.events]
    assert got == {1: [(DELETE, put_rev + 1)], 2: [(PUT, put_rev)]}
    w.expect_silence(0.5)
    w.cancel()


def test_progress_request(channel):
    w = WatchStream(channel)
    w.create(b"prog/k")
    created = w.next()
    assert created.created
    rev = _put(channel, b"prog/other", b"1").header.revision
    w.request_progress()
    r = w.next()
    assert (r.watch_id, r.created, r.canceled, list(r.events)) == (-1, False, False, [])
    assert r.header.revision == rev
    w.cancel()


def test_watch_compacted_revision_canceled(channel):
    first = _put(channel, b"cw2/k", b"1").header.revision
    for i in range(3):
        _put(channel, b"cw2/k", str(i).encode())
    compact_rev = first + 2
    unary(channel, "KV", "Compact", pb.CompactionRequest(revision=compact_rev),
          "CompactionResponse")
    w = WatchStream(channel)
    w.create(b"cw2/k", start_revision=first)
    created = w.next()
    assert created.created and not created.canceled
    r = w.next()
    assert (r.watch_id, r.canceled, r.compact_revision, list(r.events)) == (
        created.watch_id, True, compact_rev, [])
    # exactly at the compaction revision is still allowed
    w.create(b"cw2/k", start_revision=compact_rev)
    created = w.next()
    assert created.created and not created.canceled
    r = w.next()
    assert [e.kv.mod_revision for e in r.events] == [compact_rev, compact_rev + 1]
    w.cancel()


def test_watch_revoke_events_share_one_revision(channel):
    lid = _grant(channel, 60).ID
    for k in (b"rvk/1", b"rvk/2", b"rvk/3"):
        _put(channel, k, b"v", lease=lid)
    w = WatchStream(channel)
    w.create(b"rvk/", range_end=b"rvk0", prev_kv=True)
    assert w.next().created
    before = _put(channel, b"rvk/0", b"no lease").header.revision
    assert w.next().events[0].kv.key == b"rvk/0"
    _revoke(channel, lid)
    r = w.next()
    assert r.header.revision == before + 1
    assert [(e.type, e.kv.key, e.kv.mod_revision, e.prev_kv.lease) for e in r.events] == [
        (DELETE, k, before + 1, lid) for k in (b"rvk/1", b"rvk/2", b"rvk/3")]
    w.cancel()


def test_watch_fragments(make_server):
    """A response larger than --max-request-bytes + 512 KiB (the gRPC
    overhead etcd allows) is split into fragments for watchers that asked for
    it; the parts reassemble into the same events. The catch-up of a watcher
    created at an old revision is one response, so history makes it big."""
    srv = make_server(extra_args=["--max-request-bytes=10000"])
    ch = grpc.insecure_channel(f"127.0.0.1:{srv.client_port}",
                               options=[("grpc.max_receive_message_length", 16 << 20)])
    try:
        value = b"f" * 9000
        revs = [_put(ch, f"frag/{i:03d}".encode(), value).header.revision for i in range(80)]
        w = WatchStream(ch)
        w.create(b"frag/", range_end=b"frag0", start_revision=revs[0], fragment=True, watch_id=1)
        w.create(b"frag/", range_end=b"frag0", start_revision=revs[0], watch_id=2)
        parts = {1: [], 2: []}
        created = set()
        deadline = time.monotonic() + 20
        while not (parts[1] and not parts[1][-1].fragment and parts[2]):
            assert time.monotonic() < deadline
            r = w.next()
            if r.created:
                created.add(r.watch_id)
                continue
            parts[r.watch_id].append(r)
        assert created == {1, 2}
        # etcd packs each fragment up to the limit (10000 + 512 KiB): 80 x 9 KB
        # events make exactly two fragments, not one per event
        n_fragments = len(parts[1])
        assert n_fragments == 2, \
            f"{n_fragments} fragments, sizes {[p.ByteSize() for p in parts[1]][:5]}..."
        assert [p.fragment for p in parts[1]] == [True] * (len(parts[1]) - 1) + [False]
        assert all(p.header.revision == revs[-1] for p in parts[1])
        assert all(p.ByteSize() <= 10000 + 512 * 1024 for p in parts[1])
        frag_events = [e for p in parts[1] for e in p.events]
        assert [e.kv.mod_revision for e in frag_events] == revs
        assert all(e.kv.value == value for e in frag_events)
        # without fragment=true: one big response
        assert len(parts[2]) == 1 and not parts[2][0].fragment
        assert [e.kv.mod_revision for e in parts[2][0].events] == revs
        # a response above --max-request-bytes but below the limit + 512 KiB
        # is not fragmented
        w.create(b"frag/", range_end=b"frag0", start_revision=revs[-3], fragment=True, watch_id=3)
        assert w.next().created
        r = w.next()
        assert (r.watch_id, r.fragment, [e.kv.mod_revision for e in r.events]) == (
            3, False, revs[-3:])
        w.expect_silence(0.5)
        w.cancel()
    finally:
        ch.close()


def test_deleted_key_leaves_its_lease(channel):
    """Deleting or re-leasing a key detaches it: the lease's revoke then
    leaves it alone, and a revoke that deletes nothing makes no revision."""
    a = _grant(channel, 60).ID
    b = _grant(channel, 60).ID
    _put(channel, b"dl/1", b"1", lease=a)
    _put(channel, b"dl/2", b"2", lease=a)
    _put(channel, b"dl/3", b"3", lease=a)
    unary(channel, "KV", "DeleteRange", pb.DeleteRangeRequest(key=b"dl/1"), "DeleteRangeResponse")
    _put(channel, b"dl/2", b"moved", lease=b)
    _put(channel, b"dl/3", b"plain")
    assert list(_ttl(channel, a, keys=True).keys) == []
    assert list(_ttl(channel, b, keys=True).keys) == [b"dl/2"]
    before = _put(channel, b"dl/x", b"x").header.revision
    _revoke(channel, a)
    rng = unary(channel, "KV", "Range", pb.RangeRequest(key=b"dl/", range_end=b"dl0"),
                "RangeResponse")
    assert rng.header.revision == before, "a revoke without keys must not make a revision"
    assert [(kv.key, kv.value, kv.lease) for kv in rng.kvs] == [
        (b"dl/2", b"moved", b), (b"dl/3", b"plain", 0), (b"dl/x", b"x", 0)]
    _revoke(channel, b)
    rng = unary(channel, "KV", "Range", pb.RangeRequest(key=b"dl/", range_end=b"dl0"),
                "RangeResponse")
    assert rng.header.revision == before + 1
    assert [kv.key for kv in rng.kvs] == [b"dl/3", b"dl/x"]


def test_txn_put_with_lease(channel):
    lid = _grant(channel, 60).ID
    unknown = _random_id()
    txn = pb.TxnRequest(success=[pb.RequestOp(request_put=pb.PutRequest(key=b"tl/a", value=b"1",
                                                                       lease=lid)),
                                 pb.RequestOp(request_put=pb.PutRequest(key=b"tl/b", value=b"2",
                                                                       lease=unknown))])
    with pytest.raises(grpc.RpcError) as exc:
        unary(channel, "KV", "Txn", txn, "TxnResponse")
    assert _err(exc.value) == E_LEASE_NOT_FOUND
    # etcd 3.4 checks only the branch the compares select: an unknown lease
    # in the branch not taken is no error.
    txn = pb.TxnRequest(
        compare=[pb.Compare(key=b"tl/a", target=pb.Compare.VERSION, result=pb.Compare.EQUAL,
                            version=0)],
        success=[pb.RequestOp(request_put=pb.PutRequest(key=b"tl/a", value=b"1", lease=lid))],
        failure=[pb.RequestOp(request_put=pb.PutRequest(key=b"tl/a", value=b"1",
                                                        lease=unknown))])
    resp = unary(channel, "KV", "Txn", txn, "TxnResponse")
    assert resp.succeeded
    assert list(_ttl(channel, lid, keys=True).keys) == [b"tl/a"]
    txn = pb.TxnRequest(success=[pb.RequestOp(request_put=pb.PutRequest(
        key=k, value=b"v", lease=lid)) for k in (b"tl/a", b"tl/b")])
    rev = unary(channel, "KV", "Txn", txn, "TxnResponse").header.revision
    assert sorted(_ttl(channel, lid, keys=True).keys) == [b"tl/a", b"tl/b"]
    _revoke(channel, lid)
    rng = unary(channel, "KV", "Range", pb.RangeRequest(key=b"tl/", range_end=b"tl0"),
                "RangeResponse")
    assert (rng.header.revision, list(rng.kvs)) == (rev + 1, [])


def test_keepalive_resets_remaining_ttl(channel):
    lid = _grant(channel, MIN_TTL + 2).ID
    time.sleep(1.5)
    assert _ttl(channel, lid).TTL <= MIN_TTL + 1
    ka = KeepAliveStream(channel)
    ka.keep_alive(lid)
    assert (ka.next().TTL) == MIN_TTL + 2
    assert _ttl(channel, lid).TTL >= MIN_TTL + 1
    ka.close_send()
    assert ka.next() is None
    _revoke(channel, lid)


def test_keepalive_after_expiry(channel):
    lid = _grant(channel, MIN_TTL).ID
    deadline = time.monotonic() + MIN_TTL + 6
    while _ttl(channel, lid).TTL != -1:
        assert time.monotonic() < deadline, "lease never expired"
        time.sleep(0.2)
    ka = KeepAliveStream(channel)
    ka.keep_alive(lid)
    r = ka.next()
    assert (r.ID, r.TTL) == (lid, 0)
    ka.cancel()


def test_many_watchers_one_stream(channel):
    w = WatchStream(channel)
    n = 50
    for _ in range(n):
        w.create(b"many/k")
    ids = set()
    for _ in range(n):
        r = w.next()
        assert r.created and not r.canceled
        ids.add(r.watch_id)
    assert len(ids) == n
    rev = _put(channel, b"many/k", b"v").header.revision
    seen = []
    for _ in range(n):
        r = w.next()
        seen.append(r.watch_id)
        assert [(e.kv.key, e.kv.mod_revision) for e in r.events] == [(b"many/k", rev)]
    assert sorted(seen) == sorted(ids)
    w.expect_silence(0.5)
    w.cancel()


def test_slow_reader_gets_every_event(channel):
    """A watcher whose client does not read while thousands of events are
    written still gets every event, in order, without gap or duplicate."""
    w = WatchStream(channel, start_reading=False)
    # From an explicit revision: the create is not read back before the puts
    # start, so without one the server (etcd or Cairn) may take it after the
    # first put and rightly start the watch past it.
    start = _put(channel, b"slow-start", b"0").header.revision + 1
    w.create(b"slow/", range_end=b"slow0", start_revision=start)
    value = b"s" * 1024
    revs = [_put(channel, f"slow/{i % 50}".encode(), value).header.revision
            for i in range(2000)]
    w.start_reading()
    assert w.next().created
    got = []
    deadline = time.monotonic() + 60
    while len(got) < len(revs):
        assert time.monotonic() < deadline, f"{len(got)} of {len(revs)} events"
        try:
            r = w.next()
        except AssertionError as e:
            missing = sorted(set(revs) - set(got))[:5]
            raise AssertionError(f"{e} after {len(got)} of {len(revs)} events "
                                 f"(first missing revisions {missing})") from None
        assert not r.canceled, r
        got.extend(e.kv.mod_revision for e in r.events)
    assert got == revs
    w.expect_silence(0.5)
    w.cancel()


def test_watch_future_start_revision(channel):
    now = _put(channel, b"fut/k", b"0").header.revision
    w = WatchStream(channel)
    w.create(b"fut/k", start_revision=now + 3)
    assert w.next().created
    revs = [_put(channel, b"fut/k", str(i).encode()).header.revision for i in range(1, 5)]
    assert revs == [now + 1, now + 2, now + 3, now + 4]
    got = []
    while len(got) < 2:
        got.extend(e.kv.mod_revision for e in w.next().events)
    assert got == [now + 3, now + 4]
    w.expect_silence(0.5)
    w.cancel()


def test_watch_from_key(channel):
    """range_end "\\0" means every key >= key."""
    w = WatchStream(channel)
    w.create(b"zz/m", range_end=b"\0")
    assert w.next().created
    for k in (b"zz/a", b"zz/m", b"zz/z", b"zzz"):
        _put(channel, k, b"v")
    got = []
    while len(got) < 3:
        got.extend(e.kv.key for e in w.next().events)
    assert got == [b"zz/m", b"zz/z", b"zzz"]
    w.expect_silence(0.5)
    w.cancel()


def test_lease_does_not_expire_early(client):
    lease = client.lease(3)
    client.put("early/k", "v", lease=lease)
    granted = time.monotonic()
    time.sleep(2.2)
    assert client.get("early/k")[0] == b"v", "key vanished before its lease TTL"
    while client.get("early/k")[0] is not None:
        assert time.monotonic() - granted < 3 + 3, "key outlived its lease by 3 s"
        time.sleep(0.1)


def test_lease_id_reusable_after_revoke(channel):
    lid = _random_id()
    assert _grant(channel, 10, lid).ID == lid
    _revoke(channel, lid)
    r = _grant(channel, 20, lid)
    assert (r.ID, r.TTL) == (lid, 20)
    assert _ttl(channel, lid).grantedTTL == 20
    _revoke(channel, lid)


def test_many_leases_expire_each_in_its_own_revision(channel):
    n = 30
    w = WatchStream(channel)
    w.create(b"mx/", range_end=b"mx0")
    assert w.next().created
    ids = [_grant(channel, MIN_TTL).ID for _ in range(n)]
    for i, lid in enumerate(ids):
        _put(channel, f"mx/{i:02d}".encode(), b"v", lease=lid)
    # A stream that falls behind may get several revisions in one response
    # (as from etcd's catch-up), so events are counted, not responses.
    puts = []
    while len(puts) < n:
        puts.extend(w.next().events)
    last_put = puts[-1].kv.mod_revision
    deletes = []
    deadline = time.monotonic() + MIN_TTL + 10
    while len(deletes) < n:
        assert time.monotonic() < deadline, f"{len(deletes)} of {n} expired"
        r = w.next(timeout=MIN_TTL + 10)
        deletes.extend((e.type, e.kv.mod_revision, e.kv.key) for e in r.events)
    assert all(t == DELETE for t, _, _ in deletes)
    assert [rev for _, rev, _ in deletes] == list(range(last_put + 1, last_put + n + 1))
    assert sorted(k for _, _, k in deletes) == [f"mx/{i:02d}".encode() for i in range(n)]
    w.expect_silence(0.5)
    w.cancel()


def test_history_watch_prev_kv(channel):
    r1 = _put(channel, b"hp/k", b"a").header.revision
    _put(channel, b"hp/k", b"b")
    unary(channel, "KV", "DeleteRange", pb.DeleteRangeRequest(key=b"hp/k"), "DeleteRangeResponse")
    _put(channel, b"hp/k", b"c")
    w = WatchStream(channel)
    w.create(b"hp/k", start_revision=r1, prev_kv=True)
    assert w.next().created
    evs = []
    while len(evs) < 4:
        evs.extend(w.next().events)
    shown = [(e.type, e.kv.value, e.kv.mod_revision, e.HasField("prev_kv") and e.prev_kv.value,
              e.HasField("prev_kv") and e.prev_kv.mod_revision) for e in evs]
    assert shown == [(PUT, b"a", r1, False, False),
                     (PUT, b"b", r1 + 1, b"a", r1),
                     (DELETE, b"", r1 + 2, b"b", r1 + 1),
                     (PUT, b"c", r1 + 3, False, False)]
    w.cancel()


@pytest.mark.parametrize("election_ms,min_ttl", [(2000, 3), (2500, 4)])
def test_min_ttl_follows_election_timeout(make_server, election_ms, min_ttl):
    """min TTL = ceil((3 * election ticks / 2, integer division) * heartbeat):
    2000/100 ms -> 30 ticks -> 3 s; 2500/100 ms -> 37 ticks -> 3.7 s -> 4 s."""
    srv = make_server(extra_args=["--heartbeat-interval=100",
                                  f"--election-timeout={election_ms}"])
    ch = grpc.insecure_channel(f"127.0.0.1:{srv.client_port}")
    try:
        assert _grant(ch, 1).TTL == min_ttl
        assert _grant(ch, min_ttl + 1).TTL == min_ttl + 1
    finally:
        ch.close()


def test_progress_notify_interval(make_server):
    srv = make_server(extra_args=["--experimental-watch-progress-notify-interval=1s"])
    ch = grpc.insecure_channel(f"127.0.0.1:{srv.client_port}")
    try:
        rev = _put(ch, b"pn/other", b"1").header.revision
        w = WatchStream(ch)
        w.create(b"pn/k", watch_id=1, progress_notify=True)
        w.create(b"pn/k", watch_id=2)
        assert {w.next().watch_id, w.next().watch_id} == {1, 2}
        got = []
        deadline = time.monotonic() + 4.5
        while time.monotonic() < deadline:
            try:
                got.append(w.next(timeout=max(0.05, deadline - time.monotonic())))
            except AssertionError:
                break
        assert len(got) >= 2, f"{len(got)} progress notifications in 4.5 s at 1 s interval"
        for r in got:
            assert (r.watch_id, list(r.events), r.canceled, r.created) == (1, [], False, False)
            assert r.header.revision == rev
        w.cancel()
    finally:
        ch.close()


def test_leases_survive_snapshot_and_restart(make_server, backend):
    """With a snapshot taken after the grant, the lease and its keys must
    come back from the snapshot, not only from the WAL."""
    srv = make_server(backend=backend, extra_args=["--snapshot-count=20"])
    c = srv.client()
    lease = c.lease(30)
    c.put("snap/a", "1", lease=lease)
    for i in range(120):
        c.put(f"snap/filler/{i % 10}", str(i))
    c.close()
    srv.kill()
    srv.start()
    c = srv.client()
    try:
        info = c.get_lease_info(lease.id)
        assert (info.grantedTTL, list(info.keys)) == (30, [b"snap/a"])
        assert c.get("snap/a")[1].lease_id == lease.id
        lease.etcd_client = c
        lease.revoke()
        assert c.get("snap/a") == (None, None)
    finally:
        c.close()


# ================================================================ restart persistence


@pytest.mark.parametrize("how", ["clean", "kill9"])
def test_leases_survive_restart(make_server, backend, how):
    srv = make_server(backend=backend)
    c = srv.client()
    long = c.lease(20)
    short = c.lease(4)
    c.put("rs/a", "1", lease=long)
    c.put("rs/b", "2", lease=long)
    c.put("rs/s", "3", lease=short)
    c.put("rs/plain", "4")
    c.close()
    time.sleep(3)
    if how == "clean":
        srv.stop()
    else:
        srv.kill()
    srv.start()
    c = srv.client()
    try:
        info = c.get_lease_info(long.id)
        assert info.grantedTTL == 20
        # renewed on recovery: no shorter than a fresh lease minus a second or two
        assert info.TTL >= 18, f"remaining TTL after restart {info.TTL}"
        assert sorted(info.keys) == [b"rs/a", b"rs/b"]
        assert c.get("rs/a")[1].lease_id == long.id
        # the short lease still expires (after its renewed TTL)
        deadline = time.monotonic() + 4 + 6
        while c.get("rs/s")[0] is not None:
            assert time.monotonic() < deadline, "short lease never expired after restart"
            time.sleep(0.2)
        assert c.get_lease_info(short.id).TTL == -1
        before = _rev(c)
        c.revoke_lease(long.id)
        assert _rev(c) == before + 1
        assert [m.key for _, m in c.get_prefix("rs/")] == [b"rs/plain"]
    finally:
        c.close()
    # and the revoke itself is durable
    srv.kill()
    srv.start()
    c = srv.client()
    try:
        assert c.get_lease_info(long.id).TTL == -1
        assert [m.key for _, m in c.get_prefix("rs/")] == [b"rs/plain"]
    finally:
        c.close()
