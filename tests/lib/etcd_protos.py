"""etcd 3.4's full gRPC messages for the black-box tests, built at run time
from the repo's proto/ tree.

python-etcd3 ships stubs generated from an older etcd: its WatchCreateRequest
has no watch_id/fragment, WatchRequest no progress_request and WatchResponse
no fragment. Generated _pb2 modules for the full protos would clash with
python-etcd3's in protobuf's default descriptor pool (same message names), so
the protos are compiled with protoc into a descriptor set and loaded into a
private pool; the message classes below are independent of python-etcd3's.

    from etcd_protos import pb, WatchStream
    req = pb.WatchRequest(create_request=pb.WatchCreateRequest(key=b"k", watch_id=7))
"""

import os
import queue
import subprocess
import tempfile
import threading

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

PROTO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                           "proto"))
PROTOC = os.environ.get("PROTOC", "protoc")


def _load_pool():
    with tempfile.TemporaryDirectory(prefix="cairn-protos-") as d:
        out = os.path.join(d, "etcd.desc")
        subprocess.run([PROTOC, f"-I{PROTO_ROOT}", "--include_imports",
                        f"--descriptor_set_out={out}", "etcdserverpb/rpc.proto",
                        "v3lockpb/v3lock.proto", "v3electionpb/v3election.proto"], check=True)
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return pool


class _Messages:
    """Attribute access to message classes: pb.WatchRequest (etcdserverpb),
    pb.mvcc.Event (mvccpb). Enum values are on the classes (pb.Compare.LEASE)."""

    def __init__(self, pool, package):
        self._pool = pool
        self._package = package
        self._classes = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._classes:
            desc = self._pool.FindMessageTypeByName(f"{self._package}.{name}")
            if hasattr(message_factory, "GetMessageClass"):
                cls = message_factory.GetMessageClass(desc)
            else:  # protobuf < 4.22
                cls = message_factory.MessageFactory(self._pool).GetPrototype(desc)
            self._classes[name] = cls
        return self._classes[name]


_POOL = _load_pool()
pb = _Messages(_POOL, "etcdserverpb")
pb.mvcc = _Messages(_POOL, "mvccpb")
# The lock and election services (etcd's v3lock / v3election gRPC APIs).
lockpb = _Messages(_POOL, "v3lockpb")
electionpb = _Messages(_POOL, "v3electionpb")


def unary(channel, service, method, request, response_type, timeout=10, package=None):
    """Calls <package>.<service>/<method> with the full messages; `package` is
    pb (etcdserverpb, the default), lockpb or electionpb."""
    package = package or pb
    call = channel.unary_unary(f"/{package._package}.{service}/{method}",
                               request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=getattr(package, response_type).FromString)
    return call(request, timeout=timeout)


class _Stream:
    """A bidirectional stream fed from a queue; responses are read by a thread
    into another queue so tests can wait with timeouts."""

    def __init__(self, channel, path, response_type, start_reading=True, metadata=None):
        self._requests = queue.Queue()
        self._responses = queue.Queue()
        call = channel.stream_stream(path, request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=response_type.FromString)
        self._call = call(self._iter(), metadata=metadata)
        self._reader = threading.Thread(target=self._read, daemon=True)
        if start_reading:
            self._reader.start()

    def start_reading(self):
        """For streams made with start_reading=False: until now nothing was
        read, so gRPC flow control pushed back on the server (a slow client)."""
        self._reader.start()

    def _iter(self):
        while True:
            r = self._requests.get()
            if r is None:
                return
            yield r

    def _read(self):
        try:
            for resp in self._call:
                self._responses.put(resp)
            self._responses.put(StopIteration())
        except grpc.RpcError as e:
            self._responses.put(e)

    def send(self, request):
        self._requests.put(request)

    def close_send(self):
        """Half-closes the stream (the client sends no more requests)."""
        self._requests.put(None)

    def next(self, timeout=10):
        """The next response; raises AssertionError on timeout, re-raises a
        gRPC error, returns None when the server ended the stream."""
        try:
            item = self._responses.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no response within {timeout}s") from None
        if isinstance(item, StopIteration):
            return None
        if isinstance(item, Exception):
            raise item
        return item

    def expect_silence(self, seconds):
        """Asserts that nothing arrives for `seconds`."""
        try:
            item = self._responses.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected response: {item}")

    def cancel(self):
        self._call.cancel()
        self._requests.put(None)


class WatchStream(_Stream):
    def __init__(self, channel, start_reading=True, metadata=None):
        super().__init__(channel, "/etcdserverpb.Watch/Watch", pb.WatchResponse, start_reading,
                         metadata)

    def create(self, key, **fields):
        self.send(pb.WatchRequest(create_request=pb.WatchCreateRequest(key=key, **fields)))

    def cancel_watch(self, watch_id):
        self.send(pb.WatchRequest(cancel_request=pb.WatchCancelRequest(watch_id=watch_id)))

    def request_progress(self):
        self.send(pb.WatchRequest(progress_request=pb.WatchProgressRequest()))


class KeepAliveStream(_Stream):
    def __init__(self, channel, metadata=None):
        super().__init__(channel, "/etcdserverpb.Lease/LeaseKeepAlive", pb.LeaseKeepAliveResponse,
                         metadata=metadata)

    def keep_alive(self, lease_id):
        self.send(pb.LeaseKeepAliveRequest(ID=lease_id))
