"""Clients of locks and elections for the black-box suites: the Lock and
Election gRPC services (full etcd 3.4 messages from etcd_protos), etcd's
client-side Mutex recipe written on python-etcd3 (the rules of
clientv3/concurrency: key `<name>/<lease hex>`, wait for every earlier key),
and long-running etcdctl processes (`lock`, `elect`) read by threads.

    svc = Services(server)                     # one gRPC channel
    resp = svc.lock(b"job", lease_id)          # LockResponse
    with RecipeMutex(client, "job", lease_id) as m: ...
"""

import os
import queue
import subprocess
import threading
import time

import grpc

from cairn_harness import ETCDCTL_BIN
from etcd_protos import electionpb, lockpb, pb, unary


class Services:
    """The Lock, Election, KV and Lease services over one channel."""

    def __init__(self, server):
        self.channel = grpc.insecure_channel(f"{server.host}:{server.client_port}")

    def close(self):
        self.channel.close()

    # -- lock
    def lock(self, name, lease, timeout=10):
        return unary(self.channel, "Lock", "Lock", lockpb.LockRequest(name=name, lease=lease),
                     "LockResponse", timeout=timeout, package=lockpb)

    def unlock(self, key, timeout=10):
        return unary(self.channel, "Lock", "Unlock", lockpb.UnlockRequest(key=key),
                     "UnlockResponse", timeout=timeout, package=lockpb)

    # -- election
    def campaign(self, name, lease, value, timeout=10):
        return unary(self.channel, "Election", "Campaign",
                     electionpb.CampaignRequest(name=name, lease=lease, value=value),
                     "CampaignResponse", timeout=timeout, package=electionpb)

    def proclaim(self, leader, value, timeout=10):
        return unary(self.channel, "Election", "Proclaim",
                     electionpb.ProclaimRequest(leader=leader, value=value),
                     "ProclaimResponse", timeout=timeout, package=electionpb)

    def resign(self, leader, timeout=10):
        return unary(self.channel, "Election", "Resign", electionpb.ResignRequest(leader=leader),
                     "ResignResponse", timeout=timeout, package=electionpb)

    def leader(self, name, timeout=10):
        return unary(self.channel, "Election", "Leader", electionpb.LeaderRequest(name=name),
                     "LeaderResponse", timeout=timeout, package=electionpb)

    def observe(self, name):
        return ObserveStream(self.channel, name)

    # -- kv / lease
    def grant(self, ttl, lease_id=0):
        return unary(self.channel, "Lease", "LeaseGrant", pb.LeaseGrantRequest(TTL=ttl, ID=lease_id),
                     "LeaseGrantResponse").ID

    def revoke(self, lease_id):
        return unary(self.channel, "Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=lease_id),
                     "LeaseRevokeResponse")

    def time_to_live(self, lease_id):
        return unary(self.channel, "Lease", "LeaseTimeToLive",
                     pb.LeaseTimeToLiveRequest(ID=lease_id), "LeaseTimeToLiveResponse")

    def range_prefix(self, prefix):
        return unary(self.channel, "KV", "Range",
                     pb.RangeRequest(key=prefix, range_end=prefix_end(prefix)), "RangeResponse")

    def get(self, key):
        return unary(self.channel, "KV", "Range", pb.RangeRequest(key=key), "RangeResponse")

    def put(self, key, value, lease=0):
        return unary(self.channel, "KV", "Put", pb.PutRequest(key=key, value=value, lease=lease),
                     "PutResponse")

    def txn(self, request):
        return unary(self.channel, "KV", "Txn", request, "TxnResponse")

    def wait_for_key(self, key, timeout=10):
        """Waits until `key` exists (a waiter's key is in place)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(key).kvs:
                return
            time.sleep(0.02)
        raise AssertionError(f"{key!r} did not appear within {timeout}s")


class ObserveStream:
    """Election.Observe read by a thread into a queue."""

    def __init__(self, channel, name):
        call = channel.unary_stream("/v3electionpb.Election/Observe",
                                    request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=electionpb.LeaderResponse.FromString)
        self._call = call(electionpb.LeaderRequest(name=name))
        self._q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for r in self._call:
                self._q.put(r)
            self._q.put("end")
        except grpc.RpcError as e:
            self._q.put(e)

    def next(self, timeout=10):
        """The next response; "end" when the stream ended, an RpcError on error,
        None if nothing came within `timeout`."""
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self, quiet=0.5):
        out = []
        while True:
            item = self.next(quiet)
            if item is None:
                return out
            out.append(item)
            if not isinstance(item, electionpb.LeaderResponse):
                return out

    def cancel(self):
        self._call.cancel()


class Call:
    """A blocking unary call run on a thread, for calls that wait (Lock,
    Campaign): result() re-raises its gRPC error."""

    def __init__(self, fn, *args, **kwargs):
        self._result = None
        self._error = None
        self._thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self._result = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 (handed to the caller)
            self._error = e

    def done(self, wait=0.0):
        self._thread.join(wait)
        return not self._thread.is_alive()

    def result(self, timeout=15):
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"call still waiting after {timeout}s")
        if self._error:
            raise self._error
        return self._result


def prefix_end(prefix):
    """clientv3's GetPrefixRangeEnd."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[:i + 1])
    return b"\0"


def owner_key(name, lease_id):
    """The key etcd's recipes own: `<name>/<lease id in hex>`."""
    name = name.decode() if isinstance(name, bytes) else name
    return f"{name}/{lease_id:x}"


class RecipeMutex:
    """etcd's client-side Mutex (clientv3/concurrency/mutex.go) on
    python-etcd3: the same keys and rules as `etcdctl lock` and the Lock
    service, so all three exclude one another. python-etcd3's own Lock
    (`/locks/<name>`, one key) does not share them."""

    def __init__(self, client, name, lease_id):
        self.client = client
        self.prefix = f"{name}/"
        self.key = owner_key(name, lease_id)
        self.lease_id = lease_id
        self.rev = None  # the fencing token: the key's create revision

    def acquire(self, timeout=30):
        from etcd3.etcdrpc import rpc_pb2
        c = self.client
        cmp = rpc_pb2.Compare(key=self.key.encode(), target=rpc_pb2.Compare.CREATE,
                              result=rpc_pb2.Compare.EQUAL, create_revision=0)
        owner = rpc_pb2.RangeRequest(key=self.prefix.encode(),
                                     range_end=prefix_end(self.prefix.encode()), limit=1,
                                     sort_order=rpc_pb2.RangeRequest.ASCEND,
                                     sort_target=rpc_pb2.RangeRequest.CREATE)
        req = rpc_pb2.TxnRequest(
            compare=[cmp],
            success=[rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(
                         key=self.key.encode(), value=b"", lease=self.lease_id)),
                     rpc_pb2.RequestOp(request_range=owner)],
            failure=[rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=self.key.encode())),
                     rpc_pb2.RequestOp(request_range=owner)])
        resp = c.kvstub.Txn(req, timeout=c.timeout)
        self.rev = resp.header.revision if resp.succeeded else \
            resp.responses[0].response_range.kvs[0].create_revision
        holder = resp.responses[1].response_range.kvs
        if not holder or holder[0].create_revision == self.rev:
            return self
        # waitDeletes: watch only the predecessor, then look again.
        deadline = time.monotonic() + timeout
        while True:
            pred = c.kvstub.Range(rpc_pb2.RangeRequest(
                key=self.prefix.encode(), range_end=prefix_end(self.prefix.encode()), limit=1,
                sort_order=rpc_pb2.RangeRequest.DESCEND, sort_target=rpc_pb2.RangeRequest.CREATE,
                max_create_revision=self.rev - 1), timeout=c.timeout)
            if not pred.kvs:
                return self
            gone = threading.Event()

            def on_event(resp_or_err):
                events = getattr(resp_or_err, "events", [])
                if any(type(ev).__name__ == "DeleteEvent" for ev in events):
                    gone.set()

            watch_id = c.add_watch_callback(pred.kvs[0].key, on_event,
                                            start_revision=pred.header.revision)
            try:
                while not gone.wait(0.1):
                    if time.monotonic() > deadline:
                        self.release()
                        raise TimeoutError(f"lock {self.prefix} not acquired in {timeout}s")
            finally:
                c.cancel_watch(watch_id)

    def release(self):
        self.client.delete(self.key)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


class Background:
    """A long-running etcdctl (lock, elect) whose output threads collect."""

    def __init__(self, endpoint, *args, extra_env=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        env.update(extra_env or {})
        self.proc = subprocess.Popen([ETCDCTL_BIN, f"--endpoints={endpoint}", *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self._out = bytearray()
        self._err = bytearray()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(p, b), daemon=True)
                         for p, b in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for t in self._threads:
            t.start()

    def _pump(self, pipe, buf):
        while True:
            chunk = pipe.read1(65536)
            if not chunk:
                return
            with self._lock:
                buf.extend(chunk)

    def stdout(self):
        with self._lock:
            return bytes(self._out).decode("utf-8", "replace")

    def wait_for(self, text, count=1, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stdout().count(text) >= count:
                return True
            if self.proc.poll() is not None:
                time.sleep(0.1)
                return self.stdout().count(text) >= count
            time.sleep(0.02)
        return False

    def finish(self, sig=None, timeout=15):
        """Signals (if given), reaps; returns (rc, stdout, stderr)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = f"did not exit within {timeout}s (killed, rc {self.proc.wait()})"
        for t in self._threads:
            t.join(5)
        with self._lock:
            return (rc, bytes(self._out).decode("utf-8", "replace"),
                    bytes(self._err).decode("utf-8", "replace"))
