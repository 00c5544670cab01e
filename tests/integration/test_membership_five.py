"""Five members through etcdctl: what a 5-member cluster does with two
members down (kill -9), compared answer by answer with a 5-member etcd 3.4
cluster running the same session (ids and ports normalised by the
Transcript of test_membership.py):

- writes and linearizable reads go on with 3 of 5;
- strict reconfiguration: adding a voter or removing a live voter is
  refused while it would leave no active quorum, and so is a learner
  (etcd wants every voter connected for 5 s before any addition);
  removing a dead member is accepted;
- a killed member restarted on its data dir catches up;
- the leader killed: the four left elect another and serve writes."""

import time

from cairn_cluster import Cluster
from cairn_harness import etcdctl, reserve_port
from test_membership import Transcript, member_ids, same_transcript_as_etcd, wait_status


def session(flavour):
    cluster = Cluster(size=5, flavour=flavour)
    try:
        cluster.start()
        members = list(cluster.members)
        t = Transcript(cluster)
        t.learn(format(members[0].status()["header"]["cluster_id"], "x"), "cluster")
        for name, hex_id in member_ids(members[0]).items():
            t.learn(hex_id, name)
        for m in members:
            t.learn_ports(m)
        # etcd refuses changes until every voter has been connected for its
        # HealthInterval (5 s).
        time.sleep(5.5)
        # m1 leads, so that the members taken down are m2 and m3 on both
        # servers and the transcripts name the same ones.
        leader = cluster.leader()
        if leader is not members[0]:
            etcdctl(leader.endpoint, "move-leader", member_ids(leader)["m1"], timeout=30).check()
        deadline = time.monotonic() + 30
        while (leader := cluster.leader()) is not members[0]:
            assert time.monotonic() < deadline, "m1 never became the leader"
            time.sleep(0.2)
        t.member_list(leader)
        t.ctl(leader, "put", "k", "before")

        # Two followers down: 3 of 5 is still a quorum.
        down = [m for m in members if m is not leader][:2]
        for m in down:
            m.kill()
        time.sleep(1)
        up = [m for m in members if m not in down]
        t.ctl(up[-1], "put", "k", "with-two-down", label="put (2 of 5 down)")
        t.ctl(up[-1], "get", "k", label="get (2 of 5 down)")

        p6 = reserve_port()
        try:
            t.ctl(leader, "member", "add", "m6", f"--peer-urls=http://127.0.0.1:{p6.port}",
                  label="member add m6 (2 of 5 down)")
            t.ctl(leader, "member", "add", "m6", "--learner",
                  f"--peer-urls=http://127.0.0.1:{p6.port}",
                  label="member add m6 --learner (2 of 5 down)")
        finally:
            p6.release()
        live = next(m for m in up if m is not leader)
        t.ctl(leader, "member", "remove", member_ids(leader)[live.name],
              label="member remove a live member (2 of 5 down)")
        t.ctl(leader, "member", "remove", member_ids(leader)[down[0].name],
              label="member remove a dead member")
        t.member_list(leader)

        # The other one comes back and catches up.
        down[1].start(wait=False)
        wait_status(down[1])
        deadline = time.monotonic() + 30
        while True:
            r = etcdctl(down[1].endpoint, "get", "k", "--consistency=s", "--print-value-only",
                        timeout=10)
            if r.out.strip() == "with-two-down" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        t.lines.append(f"restarted member caught up: {r.out.strip() == 'with-two-down'}")
        time.sleep(5.5)  # connected for etcd's HealthInterval again

        # The leader killed: four voters, three of them up, elect another.
        four = [m for m in members if m is not down[0]]
        leader = cluster.leader(members=four)
        leader.kill()
        rest = [m for m in four if m is not leader]
        cluster.leader(members=rest, timeout=30)
        r = etcdctl(",".join(m.endpoint for m in rest), "put", "after", "leader-killed",
                    timeout=30)
        t.lines.append(f"put after the leader's kill -> rc={r.rc}")
        for m in rest:
            t.ctl(m, "get", "after", "--print-value-only",
                  label="get after on a survivor")
        t.lines.append(f"voters in the list: {len(member_ids(rest[0]))}")
        return t.lines
    finally:
        cluster.cleanup()


def test_five_members_with_two_down_as_etcd():
    same_transcript_as_etcd(session)
