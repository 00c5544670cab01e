"""Clusters of real members (Cairn or etcd 3.4) on loopback: every member a
harness Server (see cairn_harness) whose --initial-cluster names them all;
started together, led by one, cleaned up by pid."""

import json
import os
import random
import shutil
import subprocess
import tempfile
import time

from cairn_harness import STARTUP_TIMEOUT, HarnessError, Server, default_flavour, etcdctl


class ClusterMember(Server):
    """One member of a Cluster: a Server whose --initial-cluster names every
    member of its cluster."""

    def __init__(self, cluster, name, **kwargs):
        super().__init__(name=name, **kwargs)
        self.cluster = cluster
        self.cluster_state = "new"
        self.token = None  # None: the cluster's token

    @property
    def peer_url(self):
        return f"http://{self.host}:{self.peer_port}"

    def args(self):
        a = [x for x in super().args() if not x.startswith("--initial-cluster=")]
        return a + [f"--initial-cluster={self.cluster.initial_cluster()}",
                    f"--initial-cluster-token={self.token or self.cluster.token}",
                    f"--initial-cluster-state={self.cluster_state}"]

    def status(self, timeout=10):
        """This member's Maintenance.Status as etcdctl prints it in JSON."""
        r = self.ctl("endpoint", "status", "-w", "json", timeout=timeout).check()
        return json.loads(r.out)[0]["Status"]


class Cluster:
    """N members of one flavour on loopback, started together. Every process
    it started is killed by cleanup() (also on an exception in `with`).
    `like=<other Cluster>` reuses the other cluster's names, ports and token,
    so the two derive the same ids (run one after the other)."""

    def __init__(self, size=3, flavour=None, backend=None, extra_args=(), token=None, like=None):
        self.flavour = flavour or default_flavour()
        self.workdir = tempfile.mkdtemp(prefix=f"cairn-cluster-{self.flavour}-")
        if like is not None:
            size = len(like.members)
            token = like.token
        self.token = token or f"cairn-test-{os.getpid()}-{random.randrange(1 << 30)}"
        self.members = []
        for i in range(size):
            ports = None
            if like is not None:
                other = like.members[i]
                ports = (other._client, other._peer)
            self.members.append(self._make_member(
                i, flavour=self.flavour, backend=backend, extra_args=extra_args,
                workdir=os.path.join(self.workdir, f"m{i + 1}"), ports=ports))

    def _make_member(self, i, **kwargs):
        """Member i (from 0); subclasses place members elsewhere."""
        return ClusterMember(self, f"m{i + 1}", **kwargs)

    def initial_cluster(self):
        return ",".join(f"{m.name}={m.peer_url}" for m in self.members)

    @property
    def endpoints(self):
        return ",".join(m.endpoint for m in self.members)

    def start(self, timeout=STARTUP_TIMEOUT, members=None):
        members = self.members if members is None else members
        for m in members:
            m.start(wait=False)
        for m in members:
            m.wait_ready(timeout)
        return self

    def running(self):
        return [m for m in self.members if m.proc is not None]

    def ctl(self, *args, timeout=30):
        return etcdctl(self.endpoints, *args, timeout=timeout)

    def leader(self, timeout=20, members=None):
        """The member every running member (or every one of `members`) names
        as leader (waits for one)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                statuses = [(m, m.status(timeout=5)) for m in (members or self.running())]
            except (AssertionError, subprocess.TimeoutExpired) as e:
                last = e
                time.sleep(0.2)
                continue
            leaders = {s.get("leader", 0) for _, s in statuses}
            if len(leaders) == 1 and 0 not in leaders:
                (lid,) = leaders
                for m, s in statuses:
                    if s["header"]["member_id"] == lid:
                        return m
            last = leaders
            time.sleep(0.2)
        raise HarnessError(f"no agreed leader within {timeout}s (last: {last})")

    def cleanup(self):
        for m in self.members:
            m.cleanup()
        if os.environ.get("CAIRN_KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
