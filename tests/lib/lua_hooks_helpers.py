"""Helpers of the Lua hook suites (tests/integration/test_lua_hooks*.py,
tests/fault/test_lua_hooks_crash.py): a hooks directory filled from
scripts/lua, /metrics read over api-http, polling with a deadline."""

import os
import re
import shutil
import tempfile
import time
import urllib.request

from cairn_harness import Server, cairn_bin, default_flavour

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.normpath(os.path.join(HERE, "..", "..", "scripts", "lua"))
# api-http serves /metrics on the client port; the hook plugin itself is
# loaded by --lua-hooks-dir.
HOOK_PLUGINS = "--plugins=api-http,api-grpc"


def require_cairn():
    import pytest
    if default_flavour() != "cairn":
        pytest.skip("Lua hooks are Cairn's own (set CAIRN_BIN)")


class HooksDir:
    """A temporary --lua-hooks-dir, removed by cleanup()."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="cairn-lua-hooks-")

    def example(self, name):
        shutil.copy(os.path.join(EXAMPLES, name), os.path.join(self.path, name))

    def write(self, name, text):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(text)
        return os.path.join(self.path, name)

    def remove(self, name):
        os.remove(os.path.join(self.path, name))

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def hook_server(hooks, backend=None, extra_args=()):
    return Server(backend=backend, extra_args=[HOOK_PLUGINS, f"--lua-hooks-dir={hooks.path}",
                                               *extra_args])


def wait_running(server, scripts, timeout=30):
    """Waits until the runner of every script in `scripts` watches (logged
    "Lua hook script running"): events written after that reach them."""
    want = set(scripts)

    def running():
        got = {r.get("script") for r in server.log_records()
               if r.get("msg") == "Lua hook script running"}
        return want <= got

    wait_until(running, timeout=timeout, what=f"runners of {sorted(want)}")


def metrics_text(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.client_port}/metrics",
                                timeout=10) as r:
        return r.read().decode()


def metric(server, name, **labels):
    """The value of one sample (0 when absent)."""
    want = {k: str(v) for k, v in labels.items()}
    total = 0.0
    for line in metrics_text(server).splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(got.get(k) == v for k, v in want.items()):
            total += float(m.group(4))
    return total


def wait_until(check, timeout=30, interval=0.1, what="condition"):
    """Polls check() until it returns a truthy value; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def prefix_items(client, prefix):
    """{key: (value, mod_revision)} under `prefix` (bytes keys)."""
    out = {}
    for value, meta in client.get_prefix(prefix):
        out[meta.key] = (value, meta.mod_revision)
    return out


__all__ = ["EXAMPLES", "HOOK_PLUGINS", "HooksDir", "cairn_bin", "hook_server", "metric",
           "metrics_text", "prefix_items", "require_cairn", "wait_running", "wait_until"]
