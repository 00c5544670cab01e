"""What every differential test does the same way: run one scripted session
on a fresh server of a flavour (etcd or cairn), optionally dump a transcript,
and decide whether the Cairn side can run at all."""

import os

import pytest

from cairn_harness import Server, cairn_bin


def record(flavour, run, transcript_name, render, extra_args=()):
    """Starts a fresh `flavour` server, returns run(server). With
    CAIRN_DIFF_DUMP=<dir> also writes <dir>/<transcript_name>-<flavour>.txt,
    one render(record) per record, for eyeballing or diff -u."""
    with Server(flavour=flavour, extra_args=list(extra_args)) as server:
        server.start()
        records = run(server)
    dump_dir = os.environ.get("CAIRN_DIFF_DUMP")
    if dump_dir:
        os.makedirs(dump_dir, exist_ok=True)
        with open(os.path.join(dump_dir, f"{transcript_name}-{flavour}.txt"), "w") as f:
            for rec in records:
                f.write(render(rec) + "\n")
    return records


def require_cairn():
    """Skips the Cairn half when no binary is configured (the suites then only
    check etcd against their golden answers), but fails under CTest, which sets
    CAIRN_REQUIRE_BIN=1 so a missing binary is never a silent pass."""
    if cairn_bin():
        return
    if os.environ.get("CAIRN_REQUIRE_BIN") == "1":
        pytest.fail("CAIRN_REQUIRE_BIN=1 but CAIRN_BIN is not set")
    pytest.skip("CAIRN_BIN not set: only the etcd golden check ran")


def assert_same_records(etcd_records, cairn_records):
    """Both sessions gave the same answers, step by step."""
    mismatches = [(e, c) for e, c in zip(etcd_records, cairn_records) if e != c]
    assert len(cairn_records) == len(etcd_records)
    assert not mismatches, "\n\n".join(f"etcd:  {e}\ncairn: {c}" for e, c in mismatches)
