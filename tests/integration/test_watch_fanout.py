"""Watch fan-out through raw gRPC Watch streams (python grpcio with etcd's
protos): many watchers on one stream get every event of a burst exactly
once and in order; a client that stops reading while far more than the
server buffers per stream is written catches up exactly once when it reads
again; a compaction while it is behind ends its watcher with etcd's
compact_revision response. Runs against Cairn (CAIRN_BIN) or etcd 3.4."""

import grpc
import pytest

from cairn_harness import Server
from etcd_protos import WatchStream, pb, unary


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        s.start()
        yield s


@pytest.fixture
def channel(server):
    ch = grpc.insecure_channel(f"127.0.0.1:{server.client_port}",
                               options=[("grpc.max_receive_message_length", 64 << 20)])
    yield ch
    ch.close()


def _put(channel, key, value):
    return unary(channel, "KV", "Put", pb.PutRequest(key=key, value=value),
                 "PutResponse").header.revision


def _create_all(w, prefix, n, **fields):
    for _ in range(n):
        w.create(prefix, range_end=prefix[:-1] + bytes([prefix[-1] + 1]), **fields)
    ids = []
    for _ in range(n):
        r = w.next(timeout=30)
        assert r.created and not r.canceled, r
        ids.append(r.watch_id)
    assert len(set(ids)) == n
    return ids


def _collect(w, ids, want, timeout=60):
    """Reads until every watcher has `want` events (or a cancel arrives)."""
    got = {i: [] for i in ids}
    canceled = {}
    while any(len(got[i]) < want for i in ids if i not in canceled):
        r = w.next(timeout=timeout)
        assert r is not None, "the server ended the stream"
        if r.canceled:
            canceled[r.watch_id] = r
            continue
        got[r.watch_id].extend((e.kv.key, e.kv.mod_revision) for e in r.events)
    return got, canceled


def test_burst_to_many_watchers_on_one_stream_exactly_once_in_order(channel):
    w = WatchStream(channel)
    ids = _create_all(w, b"fan/", 300)
    expected = [(b"fan/%03d" % i, _put(channel, b"fan/%03d" % i, b"v" * 64)) for i in range(60)]
    got, canceled = _collect(w, ids, len(expected))
    assert not canceled
    for i in ids:
        assert got[i] == expected, f"watcher {i}"
    w.expect_silence(0.5)
    w.cancel()


def test_slow_reader_beyond_the_stream_buffer_catches_up_exactly_once(channel):
    # 40 watchers x 200 puts of 4 KiB: ~32 MB of responses, far beyond what
    # either server keeps queued for one stream and gRPC's windows. The
    # creates may be served after some puts: a start revision makes every
    # watcher see all of them anyway.
    start = _put(channel, b"slow-start", b"") + 1
    w = WatchStream(channel, start_reading=False)
    for _ in range(40):
        w.create(b"slow/", range_end=b"slow0", start_revision=start)
    expected = [(b"slow/%d" % (i % 7), _put(channel, b"slow/%d" % (i % 7), b"x" * 4096))
                for i in range(200)]
    w.start_reading()
    got = {}
    while len(got) < 40 or any(len(v) < len(expected) for v in got.values()):
        r = w.next(timeout=60)
        assert r is not None and not r.canceled, r
        if r.created:
            assert r.watch_id not in got
            got[r.watch_id] = []
        got[r.watch_id].extend((e.kv.key, e.kv.mod_revision) for e in r.events)
    for i, evs in got.items():
        assert evs == expected, f"watcher {i}"
    w.cancel()


def test_compaction_while_a_slow_reader_is_behind_cancels_with_compact_revision(channel):
    first = _put(channel, b"cmp-start", b"") + 1
    w = WatchStream(channel, start_reading=False)
    w.create(b"cmp/", range_end=b"cmp0", start_revision=first)
    # 400 x 64 KiB: gRPC's buffers on both sides absorb about 12 MB of it.
    for i in range(400):
        last = _put(channel, b"cmp/%d" % (i % 5), b"y" * 65536)
    unary(channel, "KV", "Compact", pb.CompactionRequest(revision=last, physical=True),
          "CompactionResponse")
    w.start_reading()
    created = w.next(timeout=30)
    assert created.created and not created.canceled
    revs = []
    while True:
        r = w.next(timeout=30)
        assert r is not None
        if r.canceled:
            break
        revs.extend(e.kv.mod_revision for e in r.events)
    # What arrived is gap-free from the first put, then etcd's cancel.
    assert revs == list(range(first, first + len(revs)))
    assert len(revs) < 400
    assert (r.watch_id, r.compact_revision, list(r.events)) == (created.watch_id, last, [])
    w.cancel()
