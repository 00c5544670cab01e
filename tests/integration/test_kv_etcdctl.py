"""Basic KV and revision arithmetic through etcdctl."""

import base64
import json

import pytest

from cairn_harness import Server


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        s.start()
        yield s


def header_rev(server):
    r = server.ctl("get", "cairn-no-such-key", "-w", "json").check()
    return json.loads(r.out)["header"]["revision"]


def test_put_get_delete(server):
    assert server.ctl("put", "kv/a", "alpha").check().out == "OK\n"
    assert server.ctl("get", "kv/a").check().out == "kv/a\nalpha\n"
    assert server.ctl("get", "kv/a", "--print-value-only").check().out == "alpha\n"
    assert server.ctl("put", "kv/a", "beta", "--prev-kv").check().out == "OK\nkv/a\nalpha\n"
    assert server.ctl("del", "kv/a").check().out == "1\n"
    assert server.ctl("get", "kv/a").check().out == ""
    assert server.ctl("del", "kv/a").check().out == "0\n"


def test_binary_safe_values(server):
    value = "line1\nline2\ttab ünïcödé"
    server.ctl("put", "kv/bin", value).check()
    kv = json.loads(server.ctl("get", "kv/bin", "-w", "json").check().out)["kvs"][0]
    assert base64.b64decode(kv["value"]).decode() == value


def test_prefix_and_range(server):
    for i in range(5):
        server.ctl("put", f"range/{i}", str(i)).check()
    assert server.ctl("get", "range/", "--prefix", "--keys-only").check().out.split() == [
        f"range/{i}" for i in range(5)]
    assert server.ctl("get", "range/1", "range/3", "--print-value-only").check().out == "1\n2\n"
    assert server.ctl("del", "range/", "--prefix").check().out == "5\n"


def test_one_revision_per_write(server):
    r0 = header_rev(server)
    server.ctl("put", "rev/a", "1").check()
    assert header_rev(server) == r0 + 1
    server.ctl("put", "rev/a", "2").check()
    server.ctl("put", "rev/b", "1").check()
    assert header_rev(server) == r0 + 3
    # A txn with several writes is one revision.
    r = server.ctl("txn", "-i", stdin="\nput rev/c 1\nput rev/d 1\ndel rev/a\n\n\n").check()
    assert "SUCCESS" in r.out
    assert header_rev(server) == r0 + 4
    kvs = json.loads(server.ctl("get", "rev/", "--prefix", "-w", "json").check().out)["kvs"]
    mods = {kv["mod_revision"] for kv in kvs if kv["key"] in ("cmV2L2M=", "cmV2L2Q=")}
    assert mods == {r0 + 4}


def test_noop_writes_do_not_bump_revision(server):
    server.ctl("put", "noop/x", "1").check()
    r0 = header_rev(server)
    assert server.ctl("del", "noop/missing").check().out == "0\n"
    assert server.ctl("del", "noop/missing/", "--prefix").check().out == "0\n"
    # A txn whose branch only reads is not a write.
    server.ctl("txn", "-i", stdin='value("noop/x") = "1"\n\nget noop/x\n\n\n').check()
    # A txn whose taken branch is empty is not a write either.
    server.ctl("txn", "-i", stdin='value("noop/x") = "2"\n\nput noop/x 3\n\n\n').check()
    # Reads never bump.
    server.ctl("get", "noop/", "--prefix").check()
    assert header_rev(server) == r0
    # A failed request does not bump.
    assert server.ctl("put", "noop/missing", "--ignore-value").rc != 0
    assert header_rev(server) == r0


def test_version_and_create_revision(server):
    server.ctl("put", "ver/k", "1").check()
    kv1 = json.loads(server.ctl("get", "ver/k", "-w", "json").check().out)["kvs"][0]
    server.ctl("put", "ver/k", "2").check()
    kv2 = json.loads(server.ctl("get", "ver/k", "-w", "json").check().out)["kvs"][0]
    assert kv1["version"] == 1 and kv2["version"] == 2
    assert kv2["create_revision"] == kv1["create_revision"]
    assert kv2["mod_revision"] == kv1["mod_revision"] + 1
    # Delete then re-create: a new generation starts at version 1.
    server.ctl("del", "ver/k").check()
    server.ctl("put", "ver/k", "3").check()
    kv3 = json.loads(server.ctl("get", "ver/k", "-w", "json").check().out)["kvs"][0]
    assert kv3["version"] == 1
    assert kv3["create_revision"] == kv3["mod_revision"] == kv2["mod_revision"] + 2


def test_history_and_compaction(server):
    server.ctl("put", "hist/k", "old").check()
    old_rev = header_rev(server)
    server.ctl("put", "hist/k", "new").check()
    assert server.ctl("get", "hist/k", f"--rev={old_rev}", "--print-value-only").check().out == \
        "old\n"
    now = header_rev(server)
    assert server.ctl("compaction", str(now)).check().out == f"compacted revision {now}\n"
    r = server.ctl("get", "hist/k", f"--rev={old_rev}")
    assert r.rc != 0 and "required revision has been compacted" in r.err
    assert server.ctl("get", "hist/k", "--print-value-only").check().out == "new\n"


def test_endpoint_health(server):
    r = server.ctl("endpoint", "health").check()
    assert f"{server.endpoint} is healthy" in r.out + r.err


def test_endpoint_health_with_a_health_key(server):
    # `endpoint health` reads the key "health"; a real key of that name must
    # not confuse it.
    server.ctl("put", "health", "whatever").check()
    r = server.ctl("endpoint", "health").check()
    assert "is healthy" in r.out + r.err
    server.ctl("del", "health").check()
