"""Lua hooks end to end (docs/lua-hooks.md): the real binary with
--lua-hooks-dir holding the shipped examples of scripts/lua, driven by
etcdctl and python-etcd3 writes; `cairn --lua-check`; SIGHUP reloads.

    cd tests/integration
    CAIRN_BIN=$PWD/../../build/bin/cairn CAIRN_REQUIRE_BIN=1 \\
      /usr/bin/python3 -m pytest -q test_lua_hooks.py
"""

import os
import signal
import subprocess

import pytest

from lua_hooks_helpers import (HooksDir, cairn_bin, hook_server, metric, prefix_items,
                               require_cairn, wait_running, wait_until)

# python-etcd3's watch thread re-dials after a client is closed: library
# noise, not a finding.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture
def hooks():
    require_cairn()
    h = HooksDir()
    yield h
    h.cleanup()


@pytest.fixture
def started(hooks):
    """started(*examples, extra_args=()) -> a running server with them."""
    servers = []

    def start(*examples, extra_args=(), backend=None):
        for name in examples:
            hooks.example(name)
        s = hook_server(hooks, backend=backend, extra_args=extra_args)
        servers.append(s)
        s.start()
        wait_running(s, examples)
        return s

    yield start
    for s in servers:
        s.cleanup()


def _audit_complete(client, expected):
    items = prefix_items(client, b"audit/")
    return items if len(items) >= expected else None


@pytest.mark.parametrize("backend", ["wiredtiger", "memory"])
def test_audit_trail_records_every_change(started, backend):
    s = started("audit.lua", backend=backend)
    s.ctl("put", "orders/1", "new").check()
    s.ctl("put", "orders/2", "new").check()
    s.ctl("put", "orders/1", "paid").check()
    s.ctl("del", "orders/2").check()
    s.ctl("put", "unrelated", "x").check()
    c = s.client()
    try:
        # Two orders in one revision: two records, told apart by position.
        c.transaction(compare=[], success=[c.transactions.put("orders/3", "a"),
                                           c.transactions.put("orders/4", "b")], failure=[])
        items = wait_until(lambda: _audit_complete(c, 6), what="six audit records")
        assert len(items) == 6
        orders = {}
        for key, (value, _rev) in items.items():
            _, rev, pos = key.decode().split("/")
            orders[(int(rev), int(pos))] = value.decode()
        revs = sorted(orders)
        got = [orders[r] for r in revs]
        assert got == ["PUT orders/1 = new", "PUT orders/2 = new", "PUT orders/1 = paid",
                       "DELETE orders/2 (was new)", "PUT orders/3 = a", "PUT orders/4 = b"]
        # Keys carry the revision of the change they record.
        _, meta = c.get("orders/1")
        assert (meta.mod_revision, 0) in orders
        assert revs[-1][0] == revs[-2][0] and revs[-1][1] == 1
        assert metric(s, "cairn_hook_audit_records", script="audit.lua") == 6
        assert metric(s, "cairn_hook_events_total", script="audit.lua") == 6
    finally:
        c.close()


def test_counters_are_exact(started):
    s = started("counters.lua")
    c = s.client()
    try:
        for i in range(40):
            c.put(f"events/clicks/{i}", "x")
        for i in range(15):
            c.put(f"events/views/{i}", "x")
        c.put("events/clicks/0", "again")  # a PUT of an existing key counts too
        s.ctl("del", "events/views/0").check()  # deletes do not count
        wait_until(lambda: c.get("counters/clicks")[0] == b"41", what="clicks = 41")
        wait_until(lambda: c.get("counters/views")[0] == b"15", what="views = 15")
    finally:
        c.close()


def test_secondary_index_follows_its_primary_keys(started):
    s = started("secondary_index.lua")
    c = s.client()
    try:
        s.ctl("put", "users/1", "ann@example.com").check()
        s.ctl("put", "users/2", "bob@example.com").check()
        wait_until(lambda: c.get("index/email/bob@example.com")[0] == b"2", what="bob indexed")
        assert c.get("index/email/ann@example.com")[0] == b"1"
        s.ctl("put", "users/1", "ann@work.example").check()
        wait_until(lambda: c.get("index/email/ann@work.example")[0] == b"1", what="ann moved")
        assert c.get("index/email/ann@example.com")[0] is None
        s.ctl("del", "users/2").check()
        wait_until(lambda: c.get("index/email/bob@example.com")[0] is None, what="bob gone")
        index = prefix_items(c, b"index/email/")
        assert {k: v for k, (v, _) in index.items()} == {b"index/email/ann@work.example": b"1"}
    finally:
        c.close()


def test_janitor_deletes_stale_keys(started):
    s = started("janitor.lua")
    c = s.client()
    try:
        c.put("cache/old", "x")
        c.put("cache/fresh", "x")
        for i in range(10):
            c.put(f"other/{i}", "x")  # revisions pass, nothing under cache/ moves
        assert c.get("cache/old")[0] == b"x"
        c.put("cache/fresh", "y")  # the next write under cache/ sweeps
        wait_until(lambda: c.get("cache/old")[0] is None, what="cache/old swept")
        assert c.get("cache/fresh")[0] == b"y"
        wait_until(lambda: metric(s, "cairn_hook_janitor_removed", script="janitor.lua") == 1,
                   what="janitor metric")
    finally:
        c.close()


def test_handling_resumes_after_a_clean_restart(started):
    s = started("audit.lua")
    for i in range(5):
        s.ctl("put", f"orders/{i}", "v").check()
    c = s.client()
    try:
        wait_until(lambda: _audit_complete(c, 5), what="five records")
    finally:
        c.close()
    s.restart()
    wait_running(s, ["audit.lua"])
    for i in range(5, 8):
        s.ctl("put", f"orders/{i}", "v").check()
    c = s.client()
    try:
        items = wait_until(lambda: _audit_complete(c, 8), what="eight records")
        assert len(items) == 8
    finally:
        c.close()


def test_lua_check(hooks):
    good = hooks.write("good.lua", "cairn.watch{prefix='a/', handler=function(ev) end}\n")
    r = subprocess.run([cairn_bin(), f"--lua-check={good}"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert "good.lua: OK" in r.stdout
    bad = hooks.write("bad.lua", "local x = 1\n\ncairn.watch{prefix='a/', handler=function(ev)\n"
                                 "  x = x +\nend}\n")
    r = subprocess.run([cairn_bin(), "--lua-check", bad], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1
    assert "bad.lua:5:" in r.stderr and "(compile)" in r.stderr
    forbidden = hooks.write("os.lua", "os.execute('true')\n")
    r = subprocess.run([cairn_bin(), "--lua-check", forbidden], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1
    assert "os.lua:1:" in r.stderr and "'os'" in r.stderr
    # A check starts no member: nothing was created next to the script.
    assert sorted(os.listdir(hooks.path)) == ["bad.lua", "good.lua", "os.lua"]


def test_sighup_reloads_and_a_broken_script_does_not_stop_the_others(started, hooks):
    s = started("audit.lua")
    hooks.example("counters.lua")
    hooks.write("broken.lua", "cairn.watch{prefix='x/', handler=function(ev) end}\n"
                              "local t = nil\nprint(t.field)\n")
    os.kill(s.proc.pid, signal.SIGHUP)
    wait_until(lambda: "Lua hooks reloaded" in s.log_messages(), what="the reload")
    wait_running(s, ["counters.lua"])
    failed = [r for r in s.log_records() if r.get("msg", "").startswith(
        "Lua hook script failed to load")]
    assert len(failed) == 1 and "broken.lua:3:" in failed[0]["error"], failed
    assert metric(s, "cairn_hook_errors_total", script="broken.lua", kind="runtime") == 1
    c = s.client()
    try:
        c.put("orders/1", "a")
        c.put("events/g/1", "a")
        wait_until(lambda: _audit_complete(c, 1), what="audit still running")
        wait_until(lambda: c.get("counters/g")[0] == b"1", what="the new script running")
    finally:
        c.close()
    # The member kept serving and is still the same process.
    assert s.proc.poll() is None


def test_reload_keeps_a_script_whose_new_version_fails_and_stops_removed_ones(started, hooks):
    s = started("audit.lua", "counters.lua")
    c = s.client()
    try:
        c.put("orders/1", "a")
        c.put("events/g/1", "a")
        wait_until(lambda: _audit_complete(c, 1), what="the first record")
        wait_until(lambda: c.get("counters/g")[0] == b"1", what="the first count")
        hooks.write("audit.lua", "cairn.watch{prefix='orders/', handler=function(ev)\n"
                                 "  cairn.put('x', \nend}\n")
        hooks.remove("counters.lua")
        os.kill(s.proc.pid, signal.SIGHUP)
        wait_until(lambda: "Lua hooks reloaded" in s.log_messages(), what="the reload")
        kept = [r for r in s.log_records() if r.get("msg", "").startswith(
            "Lua hook script failed to load; its previous version keeps running")]
        assert len(kept) == 1 and "audit.lua:3:" in kept[0]["error"], kept
        reloaded = [r for r in s.log_records() if r.get("msg") == "Lua hooks reloaded"]
        assert reloaded[-1]["loaded"] == [] and reloaded[-1]["failed"] == 1, reloaded
        assert metric(s, "cairn_hook_scripts", state="loaded") == 1  # the kept audit.lua
        c.put("orders/2", "b")
        c.put("events/g/2", "b")
        wait_until(lambda: _audit_complete(c, 2), what="the old audit.lua still running")
        # counters.lua is gone: give it time to (wrongly) count, then check.
        c.put("orders/3", "c")
        wait_until(lambda: _audit_complete(c, 3), what="a later record")
        assert c.get("counters/g")[0] == b"1"
    finally:
        c.close()


def test_an_unreadable_hooks_dir_stops_the_member_from_starting(hooks):
    s = hook_server(hooks)
    s.extra_args = [a for a in s.extra_args if not a.startswith("--lua-hooks-dir")]
    s.extra_args.append(f"--lua-hooks-dir={hooks.path}/missing")
    try:
        with pytest.raises(AssertionError, match="exited with code 1"):
            s.start()
        assert "cannot read --lua-hooks-dir" in s.log_text()
    finally:
        s.cleanup()


def test_progress_overtaken_by_compaction_is_logged_counted_and_resumed(started, hooks):
    s = started("audit.lua")
    s.ctl("put", "orders/1", "a").check()
    c = s.client()
    try:
        wait_until(lambda: _audit_complete(c, 1), what="the first record")
    finally:
        c.close()
    s.stop()
    # Hooks off for a while: history moves on and is compacted away.
    hooked = list(s.extra_args)
    s.extra_args = [a for a in hooked if not a.startswith("--lua-hooks-dir")]
    s.start()
    assert "Lua hooks loaded" not in s.log_messages()
    s.ctl("put", "orders/2", "missed").check()
    for i in range(5):
        r = s.ctl("put", f"filler/{i}", "x")
        r.check()
    rev = int(s.ctl("get", "filler/4", "-w", "json").out.split('"mod_revision":')[1].split(",")[0])
    s.ctl("compact", str(rev)).check()
    s.stop()
    s.extra_args = hooked
    s.start()
    wait_until(lambda: "handler progress was compacted; events before the compaction are missed"
               in s.log_messages(), what="the compaction report")
    assert metric(s, "cairn_hook_compacted_total", script="audit.lua") == 1
    s.ctl("put", "orders/3", "after").check()
    c = s.client()
    try:
        items = wait_until(lambda: _audit_complete(c, 2), what="handling resumed")
        values = sorted(v.decode() for v, _ in items.values())
        assert values == ["PUT orders/1 = a", "PUT orders/3 = after"]
    finally:
        c.close()
