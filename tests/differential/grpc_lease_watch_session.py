"""The scripted Lease/Watch gRPC session replayed against etcd 3.4 and Cairn.

Requests use the full etcd 3.4 messages of tests/lib/etcd_protos.py (python-
etcd3's stubs lack watch ids, fragments and progress requests). Each step is
a function step(ctx) that issues requests and calls ctx.record(label, ...)
for every answer: a unary response, a gRPC error, or the responses a watch
or keep-alive stream delivered until it went quiet.

Stream responses of one quiet window are ordered by watch id (stable): a
server guarantees the order per watcher, not between watchers whose events
share a revision (etcd 3.4 walks a Go map there).

Normalised: non-zero cluster_id/member_id/raft_term of headers; lease ids the
server chose, as L1, L2... in order of appearance (ids the client chose are
kept); the remaining TTL of LeaseTimeToLive responses, compared separately
with 1 s of tolerance (-1 exactly).

The servers run with SERVER_FLAGS; revisions in comments assume a fresh
server (first write = revision 2).
"""

import re
import time

import grpc
from google.protobuf import text_format

from etcd_protos import KeepAliveStream, WatchStream, pb, unary

MAX_REQUEST_BYTES = 10000
SERVER_FLAGS = [f"--max-request-bytes={MAX_REQUEST_BYTES}"]
QUIET = 0.6  # seconds without a response that end a stream read
MAX_LEASE_TTL = 9_000_000_000
CLIENT_LEASE = 0x1000  # a lease id chosen by the client
UNKNOWN_LEASE = 0x4242  # never granted

_HEADER = re.compile(r"\b(cluster_id|member_id|raft_term): ([1-9][0-9]*)")
_LEASE_FIELDS = re.compile(r"^(\s*)(ID|lease): (-?[0-9]+)$", re.M)
_REMAINING = re.compile(r"^(\s*)TTL: (-?[0-9]+)$", re.M)


class Record:
    def __init__(self, index, label, text, ttls):
        self.index = index
        self.label = label
        self.text = text
        self.ttls = ttls

    def key(self):
        return self.text


class Ctx:
    """Per-server replay state: channel, lease id map, streams, records."""

    def __init__(self, channel):
        self.channel = channel
        self.leases = {}  # server-chosen lease id -> label
        self.by_label = {}
        self.records = []
        self.streams = {}
        self._step = 0

    # -- lease ids
    def learn(self, lease_id, label=None):
        if lease_id not in self.leases:
            label = label or f"L{len(self.by_label) + 1}"
            self.leases[lease_id] = label
            self.by_label[label] = lease_id
        return lease_id

    def lease(self, label):
        """The id the server granted as `label` (0 if it never did)."""
        return self.by_label.get(label, 0)

    # -- rendering
    def render(self, msg, remaining_ttl=False):
        text = text_format.MessageToString(msg, as_utf8=True)
        text = _HEADER.sub(
            lambda m: f"{m.group(1)}: {'<TERM>' if m.group(1) == 'raft_term' else '<ID>'}", text)

        def lease_sub(m):
            label = self.leases.get(int(m.group(3)))
            return f"{m.group(1)}{m.group(2)}: {label}" if label else m.group(0)

        text = _LEASE_FIELDS.sub(lease_sub, text)
        ttls = []
        if remaining_ttl:
            def ttl_sub(m):
                ttls.append(int(m.group(2)))
                return f"{m.group(1)}TTL: <TTL>"

            text = _REMAINING.sub(ttl_sub, text)
        return f"{type(msg).__name__} {{\n{text}}}\n", ttls

    def record(self, label, text, ttls=()):
        self._step += 1
        self.records.append(Record(self._step, label, text, list(ttls)))

    # -- calls
    def call(self, label, service, method, request, response_type, learn_id=False,
             remaining_ttl=False):
        try:
            resp = unary(self.channel, service, method, request, response_type, timeout=15)
        except grpc.RpcError as e:
            self.record(label, f"ERROR {e.code().name}: {e.details()}\n")
            return None
        if learn_id:
            self.learn(resp.ID)
        text, ttls = self.render(resp, remaining_ttl)
        self.record(label, text, ttls)
        return resp

    def drain(self, label, stream, min_count=0, timeout=10.0, record=True):
        """Records everything `stream` delivers until QUIET seconds pass
        without a response (waiting up to `timeout` for the first
        `min_count`, counted as etcd frames them: a response per revision).

        A watcher's revisions may come in one response or several: etcd
        sends one per revision while a watcher keeps up and merges them when
        it catches up, Cairn also merges while the stream's previous write
        is in flight. Clients see the same events either way, so a
        watcher's consecutive plain event responses are compared merged."""
        got = []
        seen = 0
        end_of_stream = False
        deadline = time.monotonic() + timeout
        while True:
            wait = QUIET if seen >= min_count else max(0.05, deadline - time.monotonic())
            try:
                r = stream.next(timeout=wait)
            except AssertionError:
                break  # quiet (or the wait for min_count ran out: recorded as is)
            except grpc.RpcError as e:
                got.append(("error", f"ERROR {e.code().name}: {e.details()}\n"))
                break
            if r is None:
                end_of_stream = True
                break
            seen += _revisions_in(r)
            got.append((getattr(r, "watch_id", 0), r))
        msgs = _merge_plain(sorted([g for g in got if g[0] != "error"], key=lambda g: g[0]))
        parts = [self.render(m)[0] for _, m in msgs]
        parts += [g[1] for g in got if g[0] == "error"]
        if end_of_stream:
            parts.append("<end of stream>\n")
        if record:
            self.record(label, "".join(parts) or "<nothing>\n")
        return [m for _, m in msgs]


def _plain(r):
    """A response that only carries events (no create, cancel, compaction,
    fragment or progress meaning of its own)."""
    return (isinstance(r, pb.WatchResponse) and len(r.events) > 0 and not r.created
            and not r.canceled and r.compact_revision == 0 and not r.fragment)


def _revisions_in(r):
    """How many responses etcd would send for `r` while keeping up."""
    if not _plain(r):
        return 1
    return len({e.kv.mod_revision for e in r.events})


def _merge_plain(msgs):
    """(watch_id, response) sorted by watch id: a watcher's consecutive plain
    responses become one, with the later header."""
    out = []
    for wid, r in msgs:
        if out and out[-1][0] == wid and _plain(out[-1][1]) and _plain(r):
            merged = pb.WatchResponse()
            merged.CopyFrom(out[-1][1])
            merged.events.extend(r.events)
            merged.header.CopyFrom(r.header)
            out[-1] = (wid, merged)
        else:
            out.append((wid, r))
    return out


# ------------------------------------------------------------------ steps


def _grant(ttl, lease_id=0):
    return pb.LeaseGrantRequest(TTL=ttl, ID=lease_id)


def _put(ctx, key, value=b"v", lease=0, label=None, **kw):
    return ctx.call(label or f"Put {key!r}", "KV", "Put",
                    pb.PutRequest(key=key, value=value, lease=lease, **kw), "PutResponse")


def lease_steps(ctx):
    c = ctx.call
    c("grant 60", "Lease", "LeaseGrant", _grant(60), "LeaseGrantResponse", learn_id=True)
    c("grant 300", "Lease", "LeaseGrant", _grant(300), "LeaseGrantResponse", learn_id=True)
    c("grant 1 -> min TTL", "Lease", "LeaseGrant", _grant(1), "LeaseGrantResponse", learn_id=True)
    c("grant 0 -> min TTL", "Lease", "LeaseGrant", _grant(0), "LeaseGrantResponse", learn_id=True)
    c("grant -5 -> min TTL", "Lease", "LeaseGrant", _grant(-5), "LeaseGrantResponse",
      learn_id=True)
    c("grant max TTL", "Lease", "LeaseGrant", _grant(MAX_LEASE_TTL), "LeaseGrantResponse",
      learn_id=True)
    c("grant max TTL + 1", "Lease", "LeaseGrant", _grant(MAX_LEASE_TTL + 1), "LeaseGrantResponse")
    c("grant client id", "Lease", "LeaseGrant", _grant(45, CLIENT_LEASE), "LeaseGrantResponse")
    c("grant duplicate client id", "Lease", "LeaseGrant", _grant(45, CLIENT_LEASE),
      "LeaseGrantResponse")
    # etcd 3.4 takes any non-zero client id, negative ones included
    c("grant negative client id", "Lease", "LeaseGrant", _grant(50, -7), "LeaseGrantResponse")
    c("timetolive negative id", "Lease", "LeaseTimeToLive", pb.LeaseTimeToLiveRequest(ID=-7),
      "LeaseTimeToLiveResponse", remaining_ttl=True)
    c("revoke negative id", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=-7),
      "LeaseRevokeResponse")
    c("grant duplicate of a server id", "Lease", "LeaseGrant", _grant(45, ctx.lease("L1")),
      "LeaseGrantResponse")
    c("timetolive", "Lease", "LeaseTimeToLive", pb.LeaseTimeToLiveRequest(ID=ctx.lease("L1")),
      "LeaseTimeToLiveResponse", remaining_ttl=True)
    c("timetolive max TTL", "Lease", "LeaseTimeToLive",
      pb.LeaseTimeToLiveRequest(ID=ctx.lease("L6")), "LeaseTimeToLiveResponse",
      remaining_ttl=True)
    c("timetolive unknown", "Lease", "LeaseTimeToLive",
      pb.LeaseTimeToLiveRequest(ID=UNKNOWN_LEASE, keys=True), "LeaseTimeToLiveResponse",
      remaining_ttl=True)
    c("timetolive id 0", "Lease", "LeaseTimeToLive", pb.LeaseTimeToLiveRequest(ID=0),
      "LeaseTimeToLiveResponse", remaining_ttl=True)
    c("revoke unknown", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=UNKNOWN_LEASE),
      "LeaseRevokeResponse")
    c("revoke id 0", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=0), "LeaseRevokeResponse")
    # the min-TTL leases are not needed (and would expire mid-session)
    for label in ("L3", "L4", "L5"):
        c(f"revoke {label}", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=ctx.lease(label)),
          "LeaseRevokeResponse")
    # ---- keys
    _put(ctx, b"k/a", lease=ctx.lease("L1"))  # 2
    _put(ctx, b"k/b", lease=ctx.lease("L1"))  # 3
    _put(ctx, b"k/c", lease=CLIENT_LEASE)  # 4
    _put(ctx, b"k/x", lease=UNKNOWN_LEASE, label="put unknown lease")
    _put(ctx, b"k/a", b"v2", ignore_lease=True, label="put ignore_lease")  # 5
    _put(ctx, b"k/a", b"v3", lease=ctx.lease("L2"), ignore_lease=True,
         label="put ignore_lease with lease")
    _put(ctx, b"k/none", ignore_lease=True, label="put ignore_lease missing key")
    _put(ctx, b"k/b", b"v2", lease=ctx.lease("L2"), prev_kv=True, label="put moves lease")  # 6
    c("range k/", "KV", "Range", pb.RangeRequest(key=b"k/", range_end=b"k0"), "RangeResponse")
    for label in ("L1", "L2"):
        c(f"timetolive {label} keys", "Lease", "LeaseTimeToLive",
          pb.LeaseTimeToLiveRequest(ID=ctx.lease(label), keys=True), "LeaseTimeToLiveResponse",
          remaining_ttl=True)
    c("timetolive client lease keys", "Lease", "LeaseTimeToLive",
      pb.LeaseTimeToLiveRequest(ID=CLIENT_LEASE, keys=True), "LeaseTimeToLiveResponse",
      remaining_ttl=True)
    txn = pb.TxnRequest(
        compare=[pb.Compare(key=b"k/c", target=pb.Compare.LEASE, result=pb.Compare.EQUAL,
                            lease=CLIENT_LEASE)],
        success=[pb.RequestOp(request_put=pb.PutRequest(key=b"k/d", value=b"t",
                                                        lease=CLIENT_LEASE)),
                 pb.RequestOp(request_range=pb.RangeRequest(key=b"k/c"))],
        failure=[pb.RequestOp(request_put=pb.PutRequest(key=b"k/e", value=b"f"))])
    c("txn lease compare + put with lease", "KV", "Txn", txn, "TxnResponse")  # 7
    txn = pb.TxnRequest(success=[pb.RequestOp(request_put=pb.PutRequest(
        key=b"k/f", value=b"t", lease=UNKNOWN_LEASE))])
    c("txn put unknown lease", "KV", "Txn", txn, "TxnResponse")
    # ---- keep-alive stream: several leases, unknown ones, half-close
    ka = KeepAliveStream(ctx.channel)
    for lid in (ctx.lease("L1"), UNKNOWN_LEASE, CLIENT_LEASE, 0, ctx.lease("L2")):
        ka.keep_alive(lid)
    ctx.drain("keep-alive stream", ka, min_count=5)
    ka.close_send()
    ctx.drain("keep-alive half-closed", ka)
    c("leases", "Lease", "LeaseLeases", pb.LeaseLeasesRequest(), "LeaseLeasesResponse")
    # ---- revoke: all keys in one revision
    c("revoke client lease", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=CLIENT_LEASE),
      "LeaseRevokeResponse")  # 8: k/c, k/d
    c("revoke again", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=CLIENT_LEASE),
      "LeaseRevokeResponse")
    c("range after revoke", "KV", "Range", pb.RangeRequest(key=b"k/", range_end=b"k0"),
      "RangeResponse")
    c("revoke L1 (no keys left)", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=ctx.lease("L1")),
      "LeaseRevokeResponse")
    c("range after keyless revoke", "KV", "Range", pb.RangeRequest(key=b"k/", range_end=b"k0"),
      "RangeResponse")


def watch_steps(ctx):
    c = ctx.call
    w = WatchStream(ctx.channel)
    ctx.streams["w"] = w
    w.request_progress()
    ctx.drain("progress without watchers", w, min_count=1)
    w.create(b"w/a", watch_id=5)
    ctx.drain("create id 5", w, min_count=1)
    w.create(b"w/b", watch_id=5)
    ctx.drain("create duplicate id 5", w, min_count=1)
    w.create(b"w/", range_end=b"w0", prev_kv=True)  # auto id 0
    ctx.drain("create prefix prev_kv", w, min_count=1)
    w.create(b"w/a", filters=[pb.WatchCreateRequest.NOPUT])  # 1
    ctx.drain("create NOPUT", w, min_count=1)
    w.create(b"w/a", filters=[pb.WatchCreateRequest.NODELETE])  # 2
    ctx.drain("create NODELETE", w, min_count=1)
    w.create(b"w/m", range_end=b"\0")  # 3: every key >= w/m
    ctx.drain("create from key", w, min_count=1)
    w.create(b"", range_end=b"")  # key "" is "\0": a single key nobody writes
    ctx.drain("create empty key", w, min_count=1)
    w.send(pb.WatchRequest())  # no request union: ignored
    ctx.drain("empty watch request", w)
    w.cancel_watch(777)
    ctx.drain("cancel unknown id", w)
    rev = None
    resp = _put(ctx, b"w/a", b"1", label="w put a")
    if resp is not None:
        rev = resp.header.revision
    ctx.drain("events put a", w, min_count=3)
    _put(ctx, b"w/a", b"2", label="w put a again")
    ctx.drain("events put a again", w, min_count=3)
    c("w delete a", "KV", "DeleteRange", pb.DeleteRangeRequest(key=b"w/a", prev_kv=True),
      "DeleteRangeResponse")
    ctx.drain("events delete a", w, min_count=3)
    txn = pb.TxnRequest(success=[pb.RequestOp(request_put=pb.PutRequest(key=k, value=b"t"))
                                 for k in (b"w/b", b"w/c", b"w/n", b"w/z")])
    c("w txn 4 puts", "KV", "Txn", txn, "TxnResponse")
    ctx.drain("events txn", w, min_count=2)
    # One txn writing an existing key twice and a new key twice: a prev_kv
    # watcher gets the state before the txn for both writes of w/b, and no
    # prev_kv for the key the txn created.
    txn = pb.TxnRequest(success=[pb.RequestOp(request_put=pb.PutRequest(key=k, value=v))
                                 for k, v in ((b"w/b", b"t1"), (b"w/b", b"t2"),
                                              (b"w/d", b"n1"), (b"w/d", b"n2"))])
    c("w txn same keys twice", "KV", "Txn", txn, "TxnResponse")
    ctx.drain("events txn same keys twice", w, min_count=1)
    lease = c("w grant", "Lease", "LeaseGrant", _grant(60), "LeaseGrantResponse", learn_id=True)
    lid = lease.ID if lease is not None else 0
    _put(ctx, b"w/l1", b"x", lease=lid, label="w put l1")
    _put(ctx, b"w/l2", b"y", lease=lid, label="w put l2")
    ctx.drain("events lease puts", w, min_count=2)
    c("w revoke", "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=lid), "LeaseRevokeResponse")
    ctx.drain("events revoke", w, min_count=1)
    w.request_progress()
    ctx.drain("progress with watchers", w, min_count=1)
    w.cancel_watch(5)
    ctx.drain("cancel 5", w, min_count=1)
    w.cancel_watch(5)
    ctx.drain("cancel 5 again", w)
    c("w delete prefix", "KV", "DeleteRange",
      pb.DeleteRangeRequest(key=b"w/", range_end=b"w0"), "DeleteRangeResponse")
    ctx.drain("events delete prefix", w, min_count=2)
    # ---- history, future start, compaction
    if rev is not None:
        w.create(b"w/", range_end=b"w0", start_revision=rev, watch_id=100)
        ctx.drain("create from history", w, min_count=2)
        now = _put(ctx, b"w/now", label="w put now")
        ctx.drain("events after history", w, min_count=3)
        if now is not None:
            w.create(b"w/f", start_revision=now.header.revision + 2, watch_id=101)
            ctx.drain("create future start", w, min_count=1)
            for i in range(3):
                _put(ctx, b"w/f", str(i).encode(), label=f"w put f {i}")
            ctx.drain("events future start", w, min_count=8)
        c("compact", "KV", "Compact", pb.CompactionRequest(revision=rev + 3), "CompactionResponse")
        w.create(b"w/", range_end=b"w0", start_revision=rev + 2, watch_id=102)
        ctx.drain("create below compaction", w, min_count=2)
        w.create(b"w/", range_end=b"w0", start_revision=rev + 3, watch_id=103)
        ctx.drain("create at compaction", w, min_count=2)
        w.create(b"w/", range_end=b"w0", start_revision=-4, watch_id=104)
        ctx.drain("create negative start", w, min_count=1)
    w.cancel()


def fragment_steps(ctx):
    """Responses above --max-request-bytes + 512 KiB are split for watchers
    that asked for fragments: a history catch-up of 70 x 9000 bytes."""
    first = None
    for i in range(70):
        r = unary(ctx.channel, "KV", "Put", pb.PutRequest(key=f"fr/{i:02d}".encode(),
                                                          value=b"f" * 9000), "PutResponse")
        first = first or r.header.revision
    ctx.record("fragment fixture last revision", f"{r.header.revision - first + 1} puts\n")
    w = WatchStream(ctx.channel)
    w.create(b"fr/", range_end=b"fr0", start_revision=first, fragment=True, watch_id=1)
    ctx.record("fragmented catch-up", _shapes(ctx.drain("", w, min_count=3, record=False)))
    w.create(b"fr/", range_end=b"fr0", start_revision=first, watch_id=2)
    ctx.record("unfragmented catch-up", _shapes(ctx.drain("", w, min_count=2, record=False)))
    w.cancel()


def _shapes(responses):
    """One line per response (the values are too big to show): ids, flags,
    header revision, whether it respects the size limit, and its events as
    key@mod_revision/value length."""
    lines = []
    for p in responses:
        evs = " ".join(f"{e.kv.key.decode()}@{e.kv.mod_revision}/{len(e.kv.value)}"
                       for e in p.events)
        lines.append(f"watch_id={p.watch_id} created={p.created} fragment={p.fragment} "
                     f"revision={p.header.revision} "
                     f"within_limit={p.ByteSize() <= MAX_REQUEST_BYTES + 512 * 1024} "
                     f"events=[{evs}]\n")
    return "".join(lines) or "<nothing>\n"


def run(server):
    ch = grpc.insecure_channel(f"127.0.0.1:{server.client_port}",
                               options=[("grpc.max_receive_message_length", 16 << 20)])
    ctx = Ctx(ch)
    try:
        lease_steps(ctx)
        watch_steps(ctx)
        fragment_steps(ctx)
    finally:
        for s in ctx.streams.values():
            s.cancel()
        ch.close()
    return ctx.records
