"""A WiredTiger data dir written by a Cairn from before row layouts (layout
1) is rewritten into layout 2 when a current cairn starts on it, and etcdctl
sees the same keys, history and leases as before. The old dir is made from
a current one, offline, with tests/tools' cairn-test-wt-layout1."""

import json
import os
import subprocess

from cairn_harness import cairn_bin

REWRITTEN = "data dir rewritten into the newest row layout"


def snapshot_of(server, history_rev):
    def get(*args):
        doc = json.loads(server.ctl("get", "", "--from-key", "-w", "json", *args).check().out)
        return doc["header"]["revision"], doc.get("kvs", [])
    leases = server.ctl("lease", "list").check().out
    return get(), get(f"--rev={history_rev}"), leases


def test_layout_1_dir_is_rewritten_and_reads_the_same_through_etcdctl(make_server):
    s = make_server(backend="wiredtiger")
    for i in range(30):
        s.ctl("put", f"k/{i:03d}", f"value-{i}").check()
    s.ctl("put", "k/000", "overwritten").check()
    s.ctl("del", "k/001").check()
    lease = s.ctl("lease", "grant", "600").check().out.split()[1]
    s.ctl("put", "leased", "x", f"--lease={lease}").check()
    history_rev = 10
    before = snapshot_of(s, history_rev)
    s.stop()

    tool = os.path.join(os.path.dirname(cairn_bin()), "cairn-test-wt-layout1")
    r = subprocess.run([tool, os.path.join(s.data_dir, "member", "wiredtiger")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("rows in layout 1")

    s.start()
    assert REWRITTEN in s.log_text()
    assert snapshot_of(s, history_rev) == before
    ttl = json.loads(s.ctl("lease", "timetolive", lease, "--keys", "-w", "json").check().out)
    assert ttl["keys"] == ["bGVhc2Vk"]  # "leased", base64
    s.ctl("put", "after", "y").check()
    assert snapshot_of(s, history_rev)[0][0] == before[0][0] + 1

    # Rewritten once: the next start finds layout 2.
    s.stop()
    s.start()
    assert REWRITTEN not in s.log_text()
    assert json.loads(s.ctl("get", "after", "-w", "json").check().out)["kvs"][0]["value"] == "eQ=="
