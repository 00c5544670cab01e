"""Differential test: one scripted etcdctl session against etcd 3.4 and
against Cairn (two fresh servers, identical flags), compared command by
command after normalising ids and terms only."""

import difflib

import pytest

from differential_run import record, require_cairn
from recorder import replay
from session import SERVER_FLAGS, steps


def _record(flavour):
    return record(flavour, lambda server: replay(server, steps()), "etcdctl",
                  lambda rec: f"=== {rec.step.label}: {rec.command()}\n{_show(rec)}",
                  extra_args=SERVER_FLAGS)

@pytest.fixture(scope="module")
def etcd_records():
    return _record("etcd")


def _show(rec):
    return (f"exit code: {rec.rc}\n--- stdout ---\n{rec.stdout}\n--- stderr ---\n{rec.stderr}\n")


def test_session_is_long_enough():
    s = steps()
    assert len(s) >= 40
    assert len({st.label for st in s}) == len(s), "step labels must be unique"


def test_etcd_matches_golden(etcd_records):
    """The reference still answers what the session was written against;
    otherwise comparing Cairn with it would prove little."""
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


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = _record("cairn")
    assert len(cairn_records) == len(etcd_records)
    failures = []
    for ref, got in zip(etcd_records, cairn_records):
        if (ref.rc, ref.stdout, ref.stderr) == (got.rc, got.stdout, got.stderr):
            continue
        diff = "".join(difflib.unified_diff(_show(ref).splitlines(True), _show(got).splitlines(True),
                                            "etcd", "cairn"))
        failures.append(f"=== step {ref.step.label!r}: {ref.command()}\n{diff}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(etcd_records)} commands differ:\n\n" +
                    "\n".join(failures), pytrace=False)
