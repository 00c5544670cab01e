"""Lua hooks on a 3-member cluster whose leader is killed in the middle of a
burst of events (docs/lua-hooks.md, "Guarantees"): handlers run on the
leader only; the new leader's handlers resume from the replicated progress,
so every event under orders/ gets its audit record (at least once), and no
record belongs to an event that did not happen.

Writes go to a follower and are retried while there is no leader; a retried
put that had in fact committed writes the key again at a new revision, so
the check is per revision: every revision at which an orders/ key was put
(its latest one, read back) has its record, and every record names an
orders/ key with the value written.
"""

import threading

from cairn_cluster import Cluster
from lua_hooks_helpers import (HOOK_PLUGINS, HooksDir, prefix_items, require_cairn, wait_until)

EVENTS = 600


def put_with_retry(client_for, i, acked, stop):
    key, value = f"orders/{i:06d}", f"v{i}"
    while not stop.is_set():
        try:
            resp = client_for().put(key, value)
            acked.append((key, resp.header.revision))
            return
        except Exception:  # no leader yet, or the member being written to is gone
            stop.wait(0.2)


def test_new_leader_resumes_the_hooks_of_a_killed_leader():
    require_cairn()
    hooks = HooksDir()
    hooks.example("audit.lua")
    cluster = Cluster(3, extra_args=[HOOK_PLUGINS, f"--lua-hooks-dir={hooks.path}"])
    clients = []
    try:
        cluster.start()
        leader = cluster.leader()
        followers = [m for m in cluster.members if m is not leader]
        client = followers[0].client(timeout=5)
        clients.append(client)
        acked = []
        stop = threading.Event()

        def writer():
            for i in range(EVENTS):
                put_with_retry(lambda: client, i, acked, stop)

        t = threading.Thread(target=writer)
        t.start()
        wait_until(lambda: len(acked) >= EVENTS // 3, timeout=120, interval=0.01,
                   what="a third of the burst")
        leader.kill()
        t.join(300)
        assert not t.is_alive() and len(acked) == EVENTS
        new_leader = cluster.leader(members=followers, timeout=30)
        assert new_leader is not leader

        reader = new_leader.client(timeout=10)
        clients.append(reader)

        def caught_up():
            orders = prefix_items(reader, b"orders/")
            audit = prefix_items(reader, b"audit/")
            revs = {rev for _, rev in orders.values()}
            audited = {int(k.split(b"/")[1]) for k in audit}
            return (orders, audit) if revs <= audited else None

        orders, audit = wait_until(caught_up, timeout=120, interval=0.5,
                                   what="the new leader's hooks to catch up")
        assert len(orders) == EVENTS
        for key, (value, rev) in orders.items():
            record = audit[f"audit/{rev:020d}/0000".encode()][0].decode()
            assert record == f"PUT {key.decode()} = {value.decode()}"
        for k, (record, _) in audit.items():
            kind, key, _, value = record.decode().split(" ", 3)
            assert kind == "PUT" and orders[key.encode()][0].decode() == value, (k, record)
    finally:
        for c in clients:
            c.close()
        cluster.cleanup()
        hooks.cleanup()
