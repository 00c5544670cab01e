"""Differential test of locks and elections: the gRPC Lock/Election session
and the etcdctl lock/elect session (concurrency_session.py), each against a
fresh etcd 3.4 and a fresh Cairn, compared answer by answer."""

import difflib

import pytest

from concurrency_session import etcdctl_session, grpc_session
from differential_run import record, require_cairn


def _render(rec):
    return f"=== {rec[0]}\n{rec[1]}"


def _record(flavour, session, name):
    return record(flavour, session, name, _render)


@pytest.fixture(scope="module")
def etcd_grpc():
    return _record("etcd", grpc_session, "grpc-concurrency")


@pytest.fixture(scope="module")
def etcd_ctl():
    return _record("etcd", etcdctl_session, "etcdctl-concurrency")


def _text(records, label):
    found = [text for lbl, text in records if lbl == label]
    assert len(found) == 1, f"{label!r} recorded {len(found)} times"
    return found[0]


def test_etcd_golden_grpc(etcd_grpc):
    """Spot checks that etcd still answers what the session was written for."""
    assert len(etcd_grpc) >= 40
    assert _text(etcd_grpc, "lock unknown lease") == \
        "ERROR UNKNOWN: etcdserver: requested lease not found\n"
    assert _text(etcd_grpc, "lock held, 1 s deadline").startswith("ERROR DEADLINE_EXCEEDED")
    assert _text(etcd_grpc, "keys after the abandoned wait") == "lk/<L1> create=2 lease: L1\n"
    assert _text(etcd_grpc, "the granted session lease") == "grantedTTL: 60\n"
    assert _text(etcd_grpc, "second waiter still waiting") == "done: False\n"
    assert _text(etcd_grpc, "unlock empty key") == \
        "ERROR UNKNOWN: etcdserver: key is not provided\n"
    assert _text(etcd_grpc, "leader of an empty election") == \
        "ERROR UNKNOWN: election: no leader\n"
    assert _text(etcd_grpc, "proclaim with a stale rev") == "ERROR UNKNOWN: election: not leader\n"
    assert _text(etcd_grpc, "proclaim without a leader key") == \
        'ERROR UNKNOWN: "leader" field must be provided\n'
    assert _text(etcd_grpc, "resign with a stale rev (etcd answers OK)").startswith(
        "ResignResponse")
    early = _text(etcd_grpc, "observer started on an empty election")
    assert early.count("LeaderResponse") == 4  # va, va2, va3, vb
    assert _text(etcd_grpc, "keys after the abandoned campaign").count("\n") == 1


def test_etcd_golden_etcdctl(etcd_ctl):
    assert len(etcd_ctl) >= 15
    assert "key=job/<" in _text(etcd_ctl, "exec form runs with ETCD_LOCK_KEY/ETCD_LOCK_REV")
    observed = _text(etcd_ctl, "etcdctl observer saw every leader")
    assert observed.index("ctl-one") < observed.index("grpc-two\n") < \
        observed.index("grpc-two-b") < observed.index("ctl-three")


def _compare(ref, got):
    failures = []
    for i in range(max(len(ref), len(got))):
        r = ref[i] if i < len(ref) else None
        g = got[i] if i < len(got) else None
        if r is None or g is None or r[0] != g[0]:
            failures.append(f"=== record {i + 1}: etcd {r and r[0]!r}, cairn {g and g[0]!r}: "
                            "sessions diverged")
            break
        if r[1] != g[1]:
            diff = "".join(difflib.unified_diff(r[1].splitlines(True), g[1].splitlines(True),
                                                "etcd", "cairn"))
            failures.append(f"=== {r[0]!r}\n{diff}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(ref)} answers differ:\n\n" + "\n".join(failures),
                    pytrace=False)


def test_cairn_matches_etcd_grpc(etcd_grpc):
    require_cairn()
    _compare(etcd_grpc, _record("cairn", grpc_session, "grpc-concurrency"))


def test_cairn_matches_etcd_etcdctl(etcd_ctl):
    require_cairn()
    _compare(etcd_ctl, _record("cairn", etcdctl_session, "etcdctl-concurrency"))
