"""The same store through python-etcd3 (a gRPC client that is not etcd's)."""

import grpc
import pytest
from etcd3.etcdrpc import rpc_pb2

from cairn_harness import Server


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


def test_put_get(client):
    resp = client.put("py/a", "1")
    assert resp.header.revision > 1
    value, meta = client.get("py/a")
    assert value == b"1"
    assert meta.key == b"py/a"
    assert meta.version == 1
    assert meta.create_revision == meta.mod_revision == resp.header.revision
    assert client.get("py/missing") == (None, None)


def test_put_prev_kv(client):
    client.put("py/p", "old")
    resp = client.put("py/p", "new", prev_kv=True)
    assert resp.prev_kv.key == b"py/p" and resp.prev_kv.value == b"old"


def test_binary_key_and_value(client):
    key = b"py/bin/\x00\xff\x01"
    value = bytes(range(256))
    client.put(key, value)
    got, meta = client.get(key)
    assert got == value and meta.key == key


def test_get_prefix_and_delete_prefix(client):
    for i in range(10):
        client.put(f"pfx/{i:02d}", f"v{i}")
    client.put("pfy/not-in-prefix", "x")
    got = [(m.key, v) for v, m in client.get_prefix("pfx/")]
    assert got == [(f"pfx/{i:02d}".encode(), f"v{i}".encode()) for i in range(10)]
    resp = client.delete_prefix("pfx/")
    assert resp.deleted == 10
    assert list(client.get_prefix("pfx/")) == []
    assert client.get("pfy/not-in-prefix")[0] == b"x"


def test_delete(client):
    client.put("py/d", "1")
    assert client.delete("py/d") is True
    assert client.delete("py/d") is False
    resp = client.delete("py/nothing", prev_kv=True, return_response=True)
    assert resp.deleted == 0


def test_get_prefix_sorted(client):
    for key, value in (("sort/b", "2"), ("sort/c", "1"), ("sort/a", "3")):
        client.put(key, value)
    client.put("sort/c", "1")  # sort/c: version 2, newest mod
    keys = lambda it: [m.key.decode() for _, m in it]  # noqa: E731
    assert keys(client.get_prefix("sort/", sort_order="descend")) == ["sort/c", "sort/b", "sort/a"]
    assert keys(client.get_prefix("sort/", sort_order="ascend", sort_target="value")) == [
        "sort/c", "sort/b", "sort/a"]
    assert keys(client.get_prefix("sort/", sort_order="ascend", sort_target="create")) == [
        "sort/b", "sort/c", "sort/a"]
    assert keys(client.get_prefix("sort/", sort_order="descend", sort_target="mod")) == [
        "sort/c", "sort/a", "sort/b"]
    assert keys(client.get_prefix("sort/", sort_order="descend", sort_target="version"))[0] == \
        "sort/c"


def test_get_range(client):
    for k in "abcde":
        client.put(f"gr/{k}", k)
    got = [v for v, _ in client.get_range("gr/b", "gr/d")]
    assert got == [b"b", b"c"]


def test_get_all(client):
    client.put("all/x", "1")
    keys = [m.key for _, m in client.get_all()]
    assert b"all/x" in keys
    assert keys == sorted(keys)


def test_transaction_success_and_failure(client):
    client.put("txn/k", "v1")
    ok, responses = client.transaction(
        compare=[client.transactions.value("txn/k") == "v1",
                 client.transactions.version("txn/k") == 1],
        success=[client.transactions.put("txn/k", "v2"), client.transactions.get("txn/k")],
        failure=[client.transactions.put("txn/k", "never")])
    assert ok is True
    assert responses[1][0][0] == b"v2"
    ok, responses = client.transaction(
        compare=[client.transactions.mod("txn/k") < 2],
        success=[client.transactions.put("txn/k", "never")],
        failure=[client.transactions.get("txn/k"), client.transactions.delete("txn/k")])
    assert ok is False
    assert responses[0][0][0] == b"v2"
    assert client.get("txn/k") == (None, None)


def test_transaction_create_compare(client):
    ok, _ = client.transaction(compare=[client.transactions.create("txn/new") == 0],
                               success=[client.transactions.put("txn/new", "first")], failure=[])
    assert ok is True
    ok, _ = client.transaction(compare=[client.transactions.create("txn/new") == 0],
                               success=[client.transactions.put("txn/new", "second")], failure=[])
    assert ok is False
    assert client.get("txn/new")[0] == b"first"


def test_replace_and_put_if_not_exists(client):
    assert client.put_if_not_exists("rep/k", "a") is True
    assert client.put_if_not_exists("rep/k", "b") is False
    assert client.replace("rep/k", "a", "c") is True
    assert client.replace("rep/k", "a", "d") is False
    assert client.get("rep/k")[0] == b"c"


def test_lease_compare_raw_txn(client):
    client.put("lc/k", "v")
    req = rpc_pb2.TxnRequest()
    c = req.compare.add()
    c.target, c.result, c.key, c.lease = rpc_pb2.Compare.LEASE, rpc_pb2.Compare.EQUAL, b"lc/k", 0
    req.success.add().request_range.key = b"lc/k"
    resp = client.kvstub.Txn(req, timeout=10)
    assert resp.succeeded
    assert resp.responses[0].response_range.kvs[0].value == b"v"


def test_compact(client):
    client.put("cmp/k", "1")
    rev = client.put("cmp/k", "2").header.revision
    client.compact(rev)
    with pytest.raises(grpc.RpcError) as e:
        client.kvstub.Range(rpc_pb2.RangeRequest(key=b"cmp/k", revision=rev - 1), timeout=10)
    assert e.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert e.value.details() == "etcdserver: mvcc: required revision has been compacted"
    assert client.get("cmp/k")[0] == b"2"


def test_errors_map_to_grpc_codes(client):
    with pytest.raises(grpc.RpcError) as e:
        client.kvstub.Put(rpc_pb2.PutRequest(key=b"", value=b"v"), timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.details() == "etcdserver: key is not provided"
    with pytest.raises(grpc.RpcError) as e:
        client.kvstub.Range(rpc_pb2.RangeRequest(key=b"a", revision=1 << 40), timeout=10)
    assert e.value.code() == grpc.StatusCode.OUT_OF_RANGE
    assert e.value.details() == "etcdserver: mvcc: required revision is a future revision"
