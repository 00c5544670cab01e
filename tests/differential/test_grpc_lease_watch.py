"""Differential test at the gRPC level for the Lease and Watch services: one
scripted session (grpc_lease_watch_session.py) against a fresh etcd 3.4 and
a fresh Cairn with identical flags, compared answer by answer."""

import difflib

import pytest

from differential_run import record, require_cairn
from grpc_lease_watch_session import SERVER_FLAGS, run
from lease_watch_session import ttls_match


def _record(flavour):
    return record(flavour, run, "grpc-lease-watch",
                  lambda rec: f"=== {rec.index} {rec.label} (remaining TTLs {rec.ttls})\n{rec.text}",
                  extra_args=SERVER_FLAGS)

@pytest.fixture(scope="module")
def etcd_records():
    return _record("etcd")


def _find(records, label):
    found = [r for r in records if r.label == label]
    assert len(found) == 1, f"{label!r} recorded {len(found)} times"
    return found[0].text


def test_etcd_golden(etcd_records):
    """Spot checks that the reference still answers what the session was
    written against (the rest is compared with Cairn as recorded)."""
    assert len(etcd_records) >= 70
    assert _find(etcd_records, "grant max TTL + 1") == \
        "ERROR OUT_OF_RANGE: etcdserver: too large lease TTL\n"
    assert _find(etcd_records, "grant duplicate client id") == \
        "ERROR FAILED_PRECONDITION: etcdserver: lease already exists\n"
    assert _find(etcd_records, "revoke unknown") == \
        "ERROR NOT_FOUND: etcdserver: requested lease not found\n"
    assert _find(etcd_records, "put ignore_lease with lease") == \
        "ERROR INVALID_ARGUMENT: etcdserver: lease is provided\n"
    assert "TTL: 2\n" in _find(etcd_records, "grant 1 -> min TTL")
    assert 'cancel_reason: "mvcc: duplicate watch ID provided on the WatchStream"' in \
        _find(etcd_records, "create duplicate id 5")
    assert "compact_revision: " in _find(etcd_records, "create below compaction")
    frag = _find(etcd_records, "fragmented catch-up").splitlines()
    assert len(frag) >= 3 and "fragment=True" in frag[1] and "fragment=False" in frag[-1]
    assert _find(etcd_records, "keep-alive half-closed") == "<end of stream>\n"


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = _record("cairn")
    failures = []
    for i in range(max(len(etcd_records), len(cairn_records))):
        ref = etcd_records[i] if i < len(etcd_records) else None
        got = cairn_records[i] if i < len(cairn_records) else None
        if ref is None or got is None or ref.label != got.label:
            failures.append(f"=== record {i + 1}: etcd {ref and ref.label!r}, "
                            f"cairn {got and got.label!r}: sessions diverged")
            break
        if ref.text == got.text and ttls_match(ref.ttls, got.ttls):
            continue
        diff = "".join(difflib.unified_diff(ref.text.splitlines(True), got.text.splitlines(True),
                                            "etcd", "cairn"))
        failures.append(f"=== {ref.index} {ref.label!r} (remaining TTLs etcd {ref.ttls}, "
                        f"cairn {got.ttls})\n{diff}")
    if failures:
        pytest.fail(f"{len(failures)} of {len(etcd_records)} answers differ:\n\n" +
                    "\n".join(failures), pytrace=False)
