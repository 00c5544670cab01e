"""Differential test: the etcdctl auth session (auth_session.py) against
etcd 3.4 and against Cairn, two fresh servers, compared command by command
after normalising ids, terms, ports and the lease id."""

import difflib
import re
import subprocess

import pytest

from auth_session import steps
from differential_run import record, require_cairn
from recorder import normalise_text

# A watch that is not refused would run forever: cut it off and record that.
WATCH_TIMEOUT = 8


class AuthRecord:
    def __init__(self, step, rc, stdout, stderr):
        self.step = step
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def command(self):
        st = self.step
        user = f"--user={st.user} " if st.user else ""
        cmd = "etcdctl " + user + " ".join(st.args)
        if st.stdin is not None:
            cmd += f"  <<< {st.stdin!r}"
        return cmd


def replay(server):
    records = []
    state = {}
    for st in steps():
        args = [a.format(**state) if "{" in a else a for a in st.args]
        if st.user:
            args = [f"--user={st.user}", *args]
        timeout = WATCH_TIMEOUT if st.args[:1] == ["watch"] else 30
        try:
            r = server.ctl(*args, stdin=st.stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            records.append(AuthRecord(st, None, "<still running>", ""))
            continue
        if st.capture and r.rc == 0:
            state.update(st.capture(r.out))
        out, err = normalise_text(r.out), normalise_text(r.err)
        for name, value in state.items():
            # etcdctl prints lease ids zero-padded to 16 digits ("%016x").
            captured = re.compile(r"\b0*" + re.escape(value) + r"\b")
            out = captured.sub(f"<{name.upper()}>", out)
            err = captured.sub(f"<{name.upper()}>", err)
        records.append(AuthRecord(st, r.rc, out, err))
    return records


def _show(rec):
    return f"exit code: {rec.rc}\n--- stdout ---\n{rec.stdout}\n--- stderr ---\n{rec.stderr}\n"


def _record(flavour):
    return record(flavour, replay, "etcdctl-auth",
                  lambda rec: f"=== {rec.step.label}: {rec.command()}\n{_show(rec)}")


@pytest.fixture(scope="module")
def etcd_records():
    return _record("etcd")


def test_session_is_long_enough():
    s = steps()
    assert len(s) >= 60
    assert len({st.label for st in s}) == len(s), "step labels must be unique"


def test_etcd_matches_golden(etcd_records):
    problems = []
    for rec in etcd_records:
        st = rec.step
        if st.rc is not None and rec.rc != st.rc:
            problems.append(f"{rec.command()}: exit code {rec.rc}, expected {st.rc}")
        if st.out is not None and rec.stdout != st.out:
            problems.append(f"{rec.command()}: stdout {rec.stdout!r}, expected {st.out!r}")
        if st.err is not None and st.err not in rec.stderr:
            problems.append(f"{rec.command()}: stderr lacks {st.err!r}: {rec.stderr!r}")
    if problems:
        pytest.fail("etcd deviates from the golden session:\n" + "\n".join(problems),
                    pytrace=False)


def test_watches_are_refused(etcd_records):
    """The denied watches end by themselves (the server cancels them)."""
    for rec in etcd_records:
        if rec.step.args[:1] == ["watch"]:
            assert rec.rc is not None, f"{rec.command()} was not refused by etcd"


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = _record("cairn")
    assert len(cairn_records) == len(etcd_records)
    failures = []
    for ref, got in zip(etcd_records, cairn_records):
        if (ref.rc, ref.stdout, ref.stderr) == (got.rc, got.stdout, got.stderr):
            continue
        diff = "".join(difflib.unified_diff(_show(ref).splitlines(True),
                                            _show(got).splitlines(True), "etcd", "cairn"))
        failures.append(f"=== step {ref.step.label!r}: {ref.command()}\n{diff}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(etcd_records)} commands differ:\n\n" +
                    "\n".join(failures), pytrace=False)
