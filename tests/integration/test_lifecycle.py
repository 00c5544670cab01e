"""Process lifecycle: startup log lines, clean SIGTERM, bad flags. (A single
member's MemberAdd, once Unimplemented here, is tested in test_grow.py.)"""

import json
import subprocess

from cairn_harness import run_binary


def test_sigterm_exits_cleanly_with_startup_logs(make_server, backend):
    s = make_server(backend=backend)
    s.ctl("put", "k", "v").check()
    msgs = s.log_messages()
    assert any(m.startswith("published local member to cluster") for m in msgs), msgs
    assert "enabled capabilities for version" in msgs, msgs
    rc = s.stop()
    assert rc in s.clean_exit_codes()
    if s.flavour == "cairn":
        assert rc == 0


def test_log_lines_are_json(make_server):
    s = make_server()
    lines = [ln for ln in s.log_text().splitlines() if ln.strip()]
    assert lines
    for ln in lines:
        doc = json.loads(ln)
        assert {"level", "ts", "msg"} <= doc.keys(), ln


def test_unknown_flag_is_refused(make_server):
    s = make_server(start=False)
    rc, out, err = run_binary(s.binary(), [*s.args(), "--no-such-flag-xyz=1"])
    assert rc != 0
    assert "no-such-flag-xyz" in out + err


def test_bad_flag_value_is_refused(make_server):
    s = make_server(start=False)
    rc, out, err = run_binary(s.binary(), [*s.args(), "--max-txn-ops=notanumber"])
    assert rc != 0
    assert "max-txn-ops" in out + err


def test_version_flag(make_server):
    s = make_server(start=False)
    rc, out, err = run_binary(s.binary(), ["--version"])
    assert rc == 0, err
    assert out.strip(), "--version printed nothing"
