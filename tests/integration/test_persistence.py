"""Data survives restarts on both storage backends. The memory backend keeps
nothing on disk itself: after a restart its state comes back from WAL replay
(and snapshots), so the same guarantees hold."""

import json

import pytest


def state(server):
    r = server.ctl("get", "", "--from-key", "-w", "json").check()
    doc = json.loads(r.out)
    kvs = {kv["key"]: (kv["value"], kv["create_revision"], kv["mod_revision"], kv["version"])
           for kv in doc.get("kvs", [])}
    return doc["header"]["revision"], kvs


def write_some(server, n, prefix):
    for i in range(n):
        server.ctl("put", f"{prefix}/{i:03d}", f"value-{i}").check()
    server.ctl("put", f"{prefix}/000", "overwritten").check()
    server.ctl("del", f"{prefix}/001").check()
    server.ctl("txn", "-i", stdin=f"\nput {prefix}/t1 a\nput {prefix}/t2 b\n\n\n").check()


@pytest.mark.parametrize("stop", ["sigterm", "kill9"])
def test_restart_keeps_data(make_server, backend, stop):
    s = make_server(backend=backend)
    write_some(s, 20, "persist")
    before = state(s)
    history_rev = before[0] - 3
    old = s.ctl("get", "", "--from-key", f"--rev={history_rev}", "-w", "json").check().out
    if stop == "sigterm":
        s.stop()
    else:
        s.kill()
    s.start()
    assert state(s) == before
    # History is intact too, not just the latest values.
    again = s.ctl("get", "", "--from-key", f"--rev={history_rev}", "-w", "json").check().out
    strip = lambda t: {k: v for k, v in json.loads(t).items() if k != "header"}  # noqa: E731
    assert strip(again) == strip(old)
    # New writes continue the revision sequence.
    s.ctl("put", "persist/after", "x").check()
    assert state(s)[0] == before[0] + 1


def test_repeated_restarts(make_server, backend):
    s = make_server(backend=backend)
    for round_ in range(3):
        write_some(s, 5, f"round{round_}")
        before = state(s)
        s.stop()
        s.start()
        assert state(s) == before


def test_compaction_survives_restart(make_server, backend):
    s = make_server(backend=backend)
    write_some(s, 10, "cmp")
    rev = state(s)[0]
    s.ctl("compaction", str(rev - 2)).check()
    s.stop()
    s.start()
    r = s.ctl("get", "cmp/002", f"--rev={rev - 3}")
    assert r.rc != 0 and "required revision has been compacted" in r.err
    assert s.ctl("get", "cmp/002", "--print-value-only").check().out == "value-2\n"


def test_snapshot_count_restart(make_server, backend):
    """Past --snapshot-count entries the server snapshots and compacts its
    log; a restart must then load the snapshot plus the log tail."""
    s = make_server(backend=backend, extra_args=["--snapshot-count=20"])
    write_some(s, 60, "snap")
    before = state(s)
    s.stop()
    s.start()
    assert state(s) == before
    s.kill()
    s.start()
    assert state(s) == before
