"""The plugin SDK end to end: `cairn --plugins api-grpc,test-counter` serves
the test-counter plugin's cairn.test.Counter service (tests/plugins/counter,
the plugin guide's worked example) over raw gRPC through api-grpc's generic
service, its state is replicated through raft into the plugin's own bucket
and survives restarts and kill -9 on both storage backends, and requests
whose bytes do not parse get what etcd's grpc-go server answers.

Needs a Cairn built with the SDK 3 kernel (CAIRN_BIN); against etcd alone
only the unparsable-request check of etcd's KV runs.

    cd tests/integration
    CAIRN_BIN=$PWD/../../build/bin/cairn /usr/bin/python3 -m pytest -x -q test_plugin_sdk.py
"""

import os
import queue
import subprocess
import tempfile
import threading

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from bbolt_dump import read_buckets
from cairn_harness import ETCD_BIN, Server, default_flavour, etcdctl
from test_snapshot import restore_into

PROTO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                           "proto"))
PLUGINS = "--plugins=api-grpc,test-counter"
SERVICE = "/cairn.test.Counter"

UNARY_PREFIX = "grpc: error unmarshalling request: "


def _load_counter_messages():
    """cairn.test's messages, compiled from proto/ at run time into a
    private pool (as tests/lib/etcd_protos.py does for etcd's)."""
    with tempfile.TemporaryDirectory(prefix="cairn-protos-") as d:
        out = os.path.join(d, "counter.desc")
        subprocess.run([os.environ.get("PROTOC", "protoc"), f"-I{PROTO_ROOT}", "--include_imports",
                        f"--descriptor_set_out={out}", "cairn/test_counter.proto"], check=True)
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)

    def cls(name):
        desc = pool.FindMessageTypeByName(f"cairn.test.{name}")
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(pool).GetPrototype(desc)  # protobuf < 4.22

    return {n: cls(n) for n in ("AddRequest", "AddResponse", "GetRequest", "GetResponse")}


M = _load_counter_messages()


def require_cairn_flavour():
    if default_flavour() != "cairn":
        pytest.skip("the test-counter plugin needs Cairn (set CAIRN_BIN)")


class Counter:
    """Raw gRPC client of cairn.test.Counter."""

    def __init__(self, server):
        self.channel = grpc.insecure_channel(f"127.0.0.1:{server.client_port}")

    def close(self):
        self.channel.close()

    def _unary(self, method, request, response_type):
        call = self.channel.unary_unary(f"{SERVICE}/{method}",
                                        request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=response_type.FromString)
        return call(request, timeout=10)

    def add(self, name, delta):
        return self._unary("Add", M["AddRequest"](name=name, delta=delta), M["AddResponse"])

    def get(self, name):
        return self._unary("Get", M["GetRequest"](name=name), M["GetResponse"]).value

    def watch(self, name):
        return WatchStream(self.channel, name)


class WatchStream:
    """Counter.Watch read by a thread into a queue, so tests wait with
    timeouts."""

    def __init__(self, channel, name):
        call = channel.unary_stream(f"{SERVICE}/Watch",
                                    request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=M["GetResponse"].FromString)
        self._call = call(M["GetRequest"](name=name), timeout=60)
        self._values = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for response in self._call:
                self._values.put(response.value)
        except grpc.RpcError as e:
            self._values.put(e)

    def next(self, timeout=10):
        try:
            item = self._values.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no value within {timeout}s") from None
        if isinstance(item, Exception):
            raise item
        return item

    def cancel(self):
        self._call.cancel()


def raw_unary(server, method, payload):
    """Sends `payload` as the request bytes; returns (code, details)."""
    channel = grpc.insecure_channel(f"127.0.0.1:{server.client_port}")
    try:
        call = channel.unary_unary(method, request_serializer=lambda b: b,
                                   response_deserializer=lambda b: b)
        try:
            call(payload, timeout=10)
        except grpc.RpcError as e:
            return e.code(), e.details()
        return grpc.StatusCode.OK, ""
    finally:
        channel.close()


@pytest.fixture
def counter_server(make_server, backend):
    require_cairn_flavour()
    return make_server(backend=backend, extra_args=[PLUGINS])


def test_values_add_up(counter_server):
    c = Counter(counter_server)
    try:
        first = c.add("a", 5)
        assert first.value == 5
        assert first.cluster_id != 0 and first.member_id != 0
        second = c.add("a", 7)
        assert second.value == 12
        assert second.raft_index > first.raft_index
        assert c.add("a", -2).value == 10
        assert c.get("a") == 10
        assert c.get("never-added") == 0
        assert c.add("b", 1).value == 1  # counters are independent
        assert c.get("a") == 10

        # Concurrent adds are serialised by raft: none is lost.
        def adder():
            for _ in range(20):
                c.add("busy", 1)

        threads = [threading.Thread(target=adder) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert c.get("busy") == 80
    finally:
        c.close()


@pytest.mark.parametrize("stop", ["sigterm", "kill9"])
def test_state_survives_restart(counter_server, stop):
    s = counter_server
    c = Counter(s)
    for i in range(30):
        c.add(f"k{i % 3}", i)
    before = {f"k{j}": c.get(f"k{j}") for j in range(3)}
    assert before == {"k0": 135, "k1": 145, "k2": 155}
    c.close()
    if stop == "sigterm":
        s.stop()
    else:
        s.kill()  # the last adds may exist only in the WAL: replay re-applies them
    s.start()
    c = Counter(s)
    try:
        assert {f"k{j}": c.get(f"k{j}") for j in range(3)} == before
        assert c.add("k0", 1).value == 136  # the apply handler reads the recovered bucket
    finally:
        c.close()


def test_repeated_kill9_keeps_every_acknowledged_add(counter_server):
    s = counter_server
    total = 0
    for round_ in range(3):
        c = Counter(s)
        for _ in range(10):
            total += 1
            assert c.add("crash", 1).value == total
        c.close()
        s.kill()
        s.start()
    c = Counter(s)
    try:
        assert c.get("crash") == total
    finally:
        c.close()


def test_snapshot_keeps_the_plugin_state(counter_server, backend, tmp_path):
    """Maintenance.Snapshot carries the plugin's bucket as an extra bbolt
    bucket: a Cairn member restored from it (on the other backend) has the
    counters; etcd's snapshot status and restore accept the file and etcd
    serves it."""
    s = counter_server
    c = Counter(s)
    try:
        for i in range(12):
            c.add(f"k{i % 3}", i)
        want = {f"k{j}": c.get(f"k{j}") for j in range(3)}
    finally:
        c.close()
    s.ctl("put", "plain", "kv").check()
    snap = str(tmp_path / "cairn.db")
    assert s.ctl("snapshot", "save", snap).rc == 0
    st = etcdctl("http://127.0.0.1:1", "snapshot", "status", snap, "-w", "json")
    assert st.rc == 0, st.err
    buckets = read_buckets(snap)
    # The plugin's records as it stores them (the decimal value by name).
    assert sorted(buckets["cairn-plugin/test-counter"]) == sorted(
        (k.encode(), str(v).encode()) for k, v in want.items())
    assert "test-counter" not in buckets

    other = "memory" if backend == "wiredtiger" else "wiredtiger"
    restored = Server(flavour="cairn", backend=other, extra_args=[PLUGINS])
    etcd = Server(flavour="etcd")
    try:
        restore_into(snap, restored)
        restored.start()
        c = Counter(restored)
        try:
            assert {f"k{j}": c.get(f"k{j}") for j in range(3)} == want
            assert c.add("k0", 1).value == want["k0"] + 1
        finally:
            c.close()
        assert restored.ctl("get", "plain", "--print-value-only").check().out.strip() == "kv"
        # And after a restart (the memory backend comes back from its snapshot).
        restored.stop()
        restored.start()
        c = Counter(restored)
        try:
            assert c.get("k0") == want["k0"] + 1
        finally:
            c.close()

        restore_into(snap, etcd)
        etcd.start()
        assert etcd.ctl("get", "plain", "--print-value-only").check().out.strip() == "kv"
        assert etcd.ctl("put", "after", "restore").rc == 0
    finally:
        restored.cleanup()
        etcd.cleanup()


def test_watch_sends_the_current_value_then_every_change(counter_server):
    c = Counter(counter_server)
    try:
        c.add("w", 10)
        w = c.watch("w")
        assert w.next() == 10  # the current value first
        for delta in (1, 2, 3):
            c.add("w", delta)
        assert [w.next(), w.next(), w.next()] == [11, 13, 16]
        c.add("other", 5)  # another counter's change is not sent
        c.add("w", -16)
        assert w.next() == 0
        w.cancel()
        # The server is fine after the cancel.
        assert c.add("w", 1).value == 1
    finally:
        c.close()


def test_unknown_method_of_the_service_is_unimplemented(counter_server):
    code, details = raw_unary(counter_server, f"{SERVICE}/Reset", b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED
    assert details == "unknown method Reset for service cairn.test.Counter"


def test_unparsable_counter_request_is_internal(counter_server):
    code, details = raw_unary(counter_server, f"{SERVICE}/Add", b"\x00")
    assert code == grpc.StatusCode.INTERNAL
    assert details == UNARY_PREFIX + "proto: AddRequest: illegal tag 0 (wire type 0)"
    # name "ab" is announced with 5 bytes: truncated, so nothing is proposed.
    code, details = raw_unary(counter_server, f"{SERVICE}/Add", b"\x0a\x05ab")
    assert (code, details) == (grpc.StatusCode.INTERNAL, UNARY_PREFIX + "unexpected EOF")
    c = Counter(counter_server)
    try:
        assert c.get("ab") == 0
    finally:
        c.close()


# Request bytes etcd's KV Put refuses, with etcd 3.4.23's answer.
KV_GARBAGE = [
    (b"\xff", "unexpected EOF"),
    (b"\x00", "proto: PutRequest: illegal tag 0 (wire type 0)"),
    (b"\x08", "proto: wrong wireType = 0 for field Key"),
    (b"\x12\x80", "unexpected EOF"),
    (b"\x0a" + b"\xff" * 10 + b"\x01", "proto: integer overflow"),
]


def test_unparsable_kv_put_answers_as_etcd(make_server):
    """The code is etcd's and the message starts with grpc-go's words; the
    decoder's reason is compared too (both decode the same bytes)."""
    flavour = default_flavour()
    servers = [make_server(flavour=flavour)]
    if flavour == "cairn" and os.access(ETCD_BIN, os.X_OK):
        servers.append(make_server(flavour="etcd"))
    answers = {}
    for s in servers:
        answers[s.flavour] = [raw_unary(s, "/etcdserverpb.KV/Put", payload)
                              for payload, _ in KV_GARBAGE]
    for flavour_name, got in answers.items():
        for (payload, reason), (code, details) in zip(KV_GARBAGE, got):
            assert code == grpc.StatusCode.INTERNAL, (flavour_name, payload, details)
            assert details.startswith(UNARY_PREFIX), (flavour_name, payload, details)
            assert details == UNARY_PREFIX + reason, (flavour_name, payload, details)
    if "etcd" in answers and "cairn" in answers:
        assert answers["cairn"] == answers["etcd"]
