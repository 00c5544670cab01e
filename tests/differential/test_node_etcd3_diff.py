"""Differential session of the Node `etcd3` client (npm, pinned by
node/package-lock.json, installed by scripts/setup): node/session.js runs
the same steps against a fresh etcd 3.4 and a fresh Cairn (KV, txn, sorted
and historical ranges, watches with prev_kv and history, leases with
keep-alive, compaction errors, the client's lock and election recipes, auth
users and roles, maintenance) and every answer, errors included (the
client's error class and etcd's message), must be equal. Nothing is
normalised: the session prints no ids."""

import json
import os
import shutil
import subprocess

import pytest

from differential_run import assert_same_records, record, require_cairn

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


def node_ready():
    """The client must be installed; under CTest (CAIRN_REQUIRE_BIN=1) a
    missing one fails instead of skipping."""
    if shutil.which("node") and os.path.isfile(
            os.path.join(NODE_DIR, "node_modules", "etcd3", "package.json")):
        return
    if os.environ.get("CAIRN_REQUIRE_BIN") == "1":
        pytest.fail("the Node etcd3 client is not installed: run scripts/setup")
    pytest.skip("the Node etcd3 client is not installed: run scripts/setup")


def session(server):
    proc = subprocess.run(["node", os.path.join(NODE_DIR, "session.js")],
                          env={**os.environ, "ETCD_ENDPOINT": server.endpoint},
                          capture_output=True, text=True, timeout=120, cwd=NODE_DIR)
    assert proc.returncode == 0, f"node session failed:\n{proc.stdout}\n{proc.stderr}"
    return [tuple((step, json.dumps(answer, sort_keys=True)))
            for step, answer in json.loads(proc.stdout)]


@pytest.fixture(scope="module")
def etcd_records():
    node_ready()
    return record("etcd", session, "node-etcd3", repr)


def test_etcd_golden(etcd_records):
    answers = dict(etcd_records)
    assert json.loads(answers["get a"]) == "3"
    assert json.loads(answers["user add again"])["message"] == \
        "9 FAILED_PRECONDITION: etcdserver: user name already exists"
    assert json.loads(answers["lock"]) == {"held": 1}
    assert len(etcd_records) == 39


def test_cairn_matches_etcd(etcd_records):
    require_cairn()
    cairn_records = record("cairn", session, "node-etcd3", repr)
    assert_same_records(etcd_records, cairn_records)
