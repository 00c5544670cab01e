"""Clusters whose members each run in their own Linux network namespace, so
tests can cut, slow and heal the network between members the way a real
network fails, while clients keep reaching every member.

Layout: a bridge in the root namespace holds 10.<net>.<sub>.1; member i lives
in namespace `cairn<run>m<i>` behind a veth pair, at 10.<net>.<sub>.(10+i),
and serves clients on :2379 and peers on :2380 (the same ports in every
namespace, so nothing is reserved on the host). Faults are tc filters and
netem qdiscs on the member's own interface:

- isolate(m): drops every packet m sends to or from a peer port (2380), so
  no peer connection to or from m can carry anything, while clients still
  reach m on 2379: the leader cut off from its followers;
- throttle(m, rate): a token bucket on everything m sends;
- heal(m): removes both.

Needs root (CAP_NET_ADMIN) and iproute2 (`ip`, `tc`). Every namespace, link
and process is removed by cleanup(), also when a test fails."""

import os
import subprocess

from cairn_cluster import Cluster, ClusterMember
from cairn_harness import HarnessError

CLIENT_PORT = 2379
PEER_PORT = 2380


def netns_available():
    """Why this machine cannot run namespace clusters, or None if it can."""
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN)"
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        return "`ip netns` does not work here"
    if subprocess.run(["tc", "-V"], capture_output=True).returncode != 0:
        return "`tc` (iproute2) is missing"
    return None


def _run(*argv, check=True):
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise HarnessError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


class _FixedPort:
    """A port that needs no reservation: each namespace has its own ports."""

    def __init__(self, port):
        self.port = port

    def release(self):
        pass


class NetnsMember(ClusterMember):
    def __init__(self, cluster, name, netns, address, **kwargs):
        super().__init__(cluster, name, ports=(_FixedPort(CLIENT_PORT), _FixedPort(PEER_PORT)),
                         **kwargs)
        self.netns = netns
        self.address = address
        self.link = None  # the veth end inside the namespace

    @property
    def host(self):
        return self.address

    def command_prefix(self):
        return ["ip", "netns", "exec", self.netns]


class NetnsCluster(Cluster):
    """A Cluster (see cairn_harness) whose members live in namespaces."""

    def __init__(self, size=3, flavour=None, backend=None, extra_args=(), token=None):
        reason = netns_available()
        if reason:
            raise HarnessError(reason)
        # Names must be unique per test process and short (15-byte links).
        self.run_id = f"{os.getpid() % 100000:05d}"
        sub = os.getpid() % 250 + 1
        self.subnet = f"10.213.{sub}"
        self.bridge = f"cb{self.run_id}"
        self._created_ns = []
        self._created_links = []
        self._size = size
        # Cluster.__init__ builds members through _make_member.
        super().__init__(size=size, flavour=flavour, backend=backend, extra_args=extra_args,
                         token=token)
        try:
            self._build_network()
        except Exception:
            self._teardown_network()
            raise

    def _make_member(self, i, **kwargs):
        kwargs.pop("ports", None)
        return NetnsMember(self, f"m{i + 1}", f"cairn{self.run_id}m{i + 1}",
                           f"{self.subnet}.{10 + i + 1}", **kwargs)

    def _build_network(self):
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        self._created_links.append(self.bridge)
        _run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        for i, m in enumerate(self.members):
            outer, inner = f"cv{self.run_id}o{i + 1}", f"cv{self.run_id}i{i + 1}"
            _run("ip", "netns", "add", m.netns)
            self._created_ns.append(m.netns)
            _run("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
            self._created_links.append(outer)
            _run("ip", "link", "set", inner, "netns", m.netns)
            _run("ip", "link", "set", outer, "master", self.bridge)
            _run("ip", "link", "set", outer, "up")
            ns = ["ip", "netns", "exec", m.netns]
            _run(*ns, "ip", "addr", "add", f"{m.address}/24", "dev", inner)
            _run(*ns, "ip", "link", "set", inner, "up")
            _run(*ns, "ip", "link", "set", "lo", "up")
            m.link = inner

    # -- faults
    def _tc(self, m, *args, check=True):
        return _run("ip", "netns", "exec", m.netns, "tc", *args, check=check)

    def heal(self, m):
        self._tc(m, "qdisc", "del", "dev", m.link, "root", check=False)

    def isolate(self, m):
        """Cuts m off from every peer (both directions); clients still
        reach it. (This kernel has no netem or drop action: packets to or
        from a peer port are classified by u32 into a class whose queue
        holds nothing, which drops them.)"""
        self.heal(m)
        self._tc(m, "qdisc", "add", "dev", m.link, "root", "handle", "1:", "htb", "default", "10",
                 "r2q", "100000")
        for cls in ("1:10", "1:20"):
            self._tc(m, "class", "add", "dev", m.link, "parent", "1:", "classid", cls, "htb",
                     "rate", "10gbit")
        self._tc(m, "qdisc", "add", "dev", m.link, "parent", "1:20", "handle", "20:", "pfifo",
                 "limit", "0")
        for field in ("dport", "sport"):
            self._tc(m, "filter", "add", "dev", m.link, "parent", "1:", "protocol", "ip",
                     "prio", "1", "u32", "match", "ip", field, str(PEER_PORT), "0xffff",
                     "flowid", "1:20")

    def throttle(self, m, rate="200kbit"):
        """Limits everything m sends to `rate`: appends and heartbeats queue
        behind each other, as on a saturated link."""
        self.heal(m)
        self._tc(m, "qdisc", "add", "dev", m.link, "root", "tbf", "rate", rate, "burst", "16kbit",
                 "latency", "500ms")

    def heal_all(self):
        for m in self.members:
            self.heal(m)

    # -- cleanup
    def _teardown_network(self):
        for ns in self._created_ns:
            _run("ip", "netns", "del", ns, check=False)
        for link in self._created_links:
            _run("ip", "link", "del", link, check=False)
        self._created_ns, self._created_links = [], []

    def cleanup(self):
        try:
            super().cleanup()
        finally:
            self._teardown_network()
