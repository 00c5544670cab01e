"""The Lua hook sandbox in the real member: each forbidden library, an
endless loop, a memory bomb, a runtime error and a script that does not
compile. Each is stopped, logged with script:line and counted in
cairn_hook_errors_total; the member keeps serving clients and a healthy
script beside them keeps handling events. A failing event is tried three
times, then skipped and counted (docs/lua-hooks.md, "Retry policy").

    cd tests/integration
    CAIRN_BIN=$PWD/../../build/bin/cairn CAIRN_REQUIRE_BIN=1 \\
      /usr/bin/python3 -m pytest -q test_lua_hooks_sandbox.py
"""

import re
import time

import pytest

from lua_hooks_helpers import (HooksDir, hook_server, metric, require_cairn, wait_running,
                               wait_until)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")

ATTEMPTS = 3  # RetryPolicy::kMaxAttempts

# name -> (handler body, kind counted, text the log must show)
FAILING_HANDLERS = {
    "use_io.lua": ("io.open('/etc/passwd')", "runtime", "global 'io'"),
    "use_os.lua": ("os.exit(1)", "runtime", "global 'os'"),
    "use_package.lua": ("package.loadlib('x', 'y')", "runtime", "global 'package'"),
    "use_require.lua": ("require('socket')", "runtime", "global 'require'"),
    "use_debug.lua": ("debug.sethook()", "runtime", "global 'debug'"),
    "use_dofile.lua": ("dofile('/etc/passwd')", "runtime", "global 'dofile'"),
    "use_loadfile.lua": ("loadfile('/etc/passwd')", "runtime", "global 'loadfile'"),
    "use_bytecode.lua": ("assert(load('\\27Lua\\84\\0\\25\\147', 'x', 'b'))", "runtime",
                         "binary chunk"),
    "endless.lua": ("while true do end", "instruction_limit", "instruction limit exceeded"),
    "bomb.lua": ("local t = {}\n  for i = 1, 1e9 do t[i] = string.rep('x', 1 << 20) .. i end",
                 "memory", "not enough memory"),
    "raises.lua": ("error('order ' .. ev.key .. ' is malformed')", "runtime", "is malformed"),
}


def _script(body):
    return ("cairn.watch{ prefix = 'jobs/', handler = function(ev)\n  " + body + "\nend }\n")


@pytest.fixture
def sandboxed():
    require_cairn()
    hooks = HooksDir()
    for name, (body, _, _) in FAILING_HANDLERS.items():
        hooks.write(name, _script(body))
    hooks.write("no_compile.lua", "cairn.watch{ prefix = 'jobs/', handler = function(ev)\n"
                                  "  if then\nend }\n")
    hooks.write("top_level_os.lua", "local home = os.getenv('HOME')\n")
    hooks.example("audit.lua")
    s = hook_server(hooks, extra_args=["--lua-instruction-limit=200000",
                                       "--lua-memory-limit=8388608"])
    s.start()
    yield s
    s.cleanup()
    hooks.cleanup()


def test_failing_scripts_are_contained_and_counted(sandboxed):
    s = sandboxed
    wait_running(s, [*FAILING_HANDLERS, "audit.lua"])
    # Scripts that do not load: counted, reported with file:line.
    assert metric(s, "cairn_hook_errors_total", script="no_compile.lua", kind="compile") == 1
    assert metric(s, "cairn_hook_errors_total", script="top_level_os.lua", kind="runtime") == 1
    load_errors = {r["script"]: r["error"] for r in s.log_records()
                   if r.get("msg") == "Lua hook script failed to load"}
    assert "no_compile.lua:2:" in load_errors["no_compile.lua"]
    assert "top_level_os.lua:1:" in load_errors["top_level_os.lua"]

    c = s.client()
    try:
        started = time.monotonic()
        c.put("jobs/1", "run")
        c.put("orders/1", "new")
        # Every failing script tries the event ATTEMPTS times, then skips it.
        for name in FAILING_HANDLERS:
            wait_until(lambda n=name: metric(s, "cairn_hook_events_failed_total", script=n) == 1,
                       timeout=60, what=f"{name} to give up")
        # Meanwhile clients were served and the healthy script ran.
        assert c.get("orders/1")[0] == b"new"
        wait_until(lambda: list(c.get_prefix("audit/")), what="the audit record")
        assert time.monotonic() - started < 60
    finally:
        c.close()
    for name, (_, kind, text) in FAILING_HANDLERS.items():
        assert metric(s, "cairn_hook_errors_total", script=name, kind=kind) == ATTEMPTS, name
        failures = [r for r in s.log_records()
                    if r.get("handler") == f"{name}#1" and r.get("msg", "").startswith(
                        "Lua hook handler failed")]
        assert len(failures) == ATTEMPTS, (name, failures)
        assert re.search(re.escape(name) + r":\d+", failures[0]["error"]), failures[0]
        assert text in failures[0]["error"], failures[0]
        assert failures[-1]["msg"] == "Lua hook handler failed on every attempt; event skipped"
    # The member is still up and writable, and nothing escaped the sandbox.
    assert s.proc.poll() is None
    assert s.ctl("put", "after", "ok").rc == 0
