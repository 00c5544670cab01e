"""Differential test: scripted etcdctl sessions on leases and watches (one-
shot commands plus background watchers and keep-alives), replayed against a
fresh etcd 3.4 and a fresh Cairn and compared step by step. What is
normalised, and why, is listed in lease_watch_session.py."""

import difflib

import pytest

from differential_run import record, require_cairn
from lease_watch_session import Replayer, steps, ttls_match


def _record(flavour):
    return record(flavour, lambda server: Replayer(server).run(steps()), "lease-watch",
                  lambda rec: f"=== {rec.index} {rec.step.label}: {rec.command}\n{rec.show()}")

@pytest.fixture(scope="module")
def etcd_records():
    return _record("etcd")


def test_session_shape():
    s = steps()
    recorded = [st for st in s if st.recorded]
    assert len(recorded) >= 60
    labels = [st.label for st in s if st.kind in ("ctl", "grpc")]
    assert len(set(labels)) == len(labels), "step labels must be unique"
    kinds = {st.kind for st in s}
    assert {"ctl", "grpc", "bg_start", "bg_wait", "bg_stop", "bg_exit"} <= kinds


def test_etcd_matches_golden(etcd_records):
    """The reference still answers what the session was written against;
    otherwise comparing Cairn with it would prove little."""
    problems = []
    for rec in etcd_records:
        st = rec.step
        if st.kind == "bg_wait":  # only recorded when the wait timed out
            problems.append(f"{rec.index} {st.label}: {rec.stderr}")
            continue
        if st.rc is not None and rec.rc != st.rc:
            problems.append(f"{rec.index} {rec.command}: exit code {rec.rc}, expected {st.rc}")
        if st.out is not None and rec.stdout != st.out:
            problems.append(f"{rec.index} {rec.command}: stdout {rec.stdout!r}, "
                            f"expected {st.out!r}")
        if st.err is not None and st.err not in rec.stderr:
            problems.append(f"{rec.index} {rec.command}: stderr lacks {st.err!r}: {rec.stderr!r}")
    if problems:
        pytest.fail("etcd deviates from the golden session:\n" + "\n".join(problems),
                    pytrace=False)


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = _record("cairn")
    failures = []
    by_step = {rec.step.label + str(rec.index): rec for rec in cairn_records}
    for ref in etcd_records:
        got = by_step.pop(ref.step.label + str(ref.index), None)
        if got is None:
            failures.append(f"=== step {ref.index} {ref.step.label!r}: {ref.command}\n"
                            f"no Cairn record\n")
            continue
        if ref.key() == got.key() and ttls_match(ref.ttls, got.ttls):
            continue
        diff = "".join(difflib.unified_diff(ref.show().splitlines(True),
                                            got.show().splitlines(True), "etcd", "cairn"))
        failures.append(f"=== step {ref.index} {ref.step.label!r}: {ref.command}\n{diff}")
    for got in by_step.values():  # e.g. a wait that timed out only on Cairn
        failures.append(f"=== step {got.index} {got.step.label!r}: only on Cairn\n{got.show()}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(etcd_records)} recorded steps differ:\n\n" +
                    "\n".join(failures), pytrace=False)
