"""Replay engine and scripted session for the lease/watch differential test.

A session mixes one-shot etcdctl commands with long-running ones (watchers,
`lease keep-alive`) started in the background, fed through stdin and stopped
by a signal or by their own exit. Every step that produces output becomes a
Record; the two servers' records are compared step by step.

Normalised (and only this):
  * lease ids: every id a server granted is mapped to L1, L2, ... in order of
    grant, in hex (simple output) and decimal (JSON `ID`/`id`/`lease`) form;
    an id that was never granted (e.g. the fixed unknown id 1234) stays raw;
  * cluster/member ids, raft terms and etcdctl's retry-warning noise (shared
    normaliser of recorder.py);
  * the order of `attached keys([...])` / JSON `"keys":[...]` of `lease
    timetolive --keys`: etcd 3.4 lists them in Go map order (random), so
    both sides are sorted;
  * remaining TTLs of `lease timetolive` (`remaining(Ns)`, JSON `"ttl":N`):
    replaced by <TTL> in the text and compared separately, allowing 1 s of
    difference (an expired lease's -1 must match exactly).

Arguments may name session values in braces: {L3} is the hex id the server
granted as L3, {REV_W} a revision captured by an earlier step, {REV_W+1}
that value plus one.

Revisions in comments assume a fresh server (first write = revision 2).
"""

import json
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import grpc

from etcd3.etcdrpc import rpc_pb2

from cairn_harness import ETCDCTL_BIN
from google.protobuf import text_format

from recorder import normalise_text

_PB_HEADER_IDS = re.compile(r"\b(cluster_id|member_id|raft_term): ([1-9][0-9]*)")


def render_message(msg):
    """Text form of a gRPC response; header ids and terms are blanked by the
    caller after lease ids were mapped (recorder.render_message would blank
    lease ids too)."""
    text = text_format.MessageToString(msg, as_utf8=True)
    return _PB_HEADER_IDS.sub(
        lambda m: f"{m.group(1)}: {'<TERM>' if m.group(1) == 'raft_term' else '<ID>'}", text)

WAIT_TIMEOUT = 15.0  # seconds a background process gets to print what we wait for
# A freshly started etcdctl watcher is given this long to dial and create its
# watch before the first write it must see (the marker) is made.
WATCH_SETTLE = 1.5


# ------------------------------------------------------------------ steps


@dataclass
class Step:
    kind: str  # ctl | grpc | sleep | bg_start | bg_write | bg_wait | bg_stop | bg_exit
    label: str
    args: list = field(default_factory=list)
    stdin: Optional[str] = None
    name: Optional[str] = None  # background process name
    wait_for: Optional[str] = None  # bg_wait: substring of stdout (after substitution)
    count: int = 1  # bg_wait: how many occurrences
    # SIGTERM, not SIGINT: a process started from a non-interactive shell's
    # background job inherits SIGINT ignored, and Go programs keep it so.
    sig: int = signal.SIGTERM
    seconds: float = 0.0
    grpc: Optional[Callable] = None
    capture: Optional[tuple] = None  # (var name, fn(stdout text) -> int)
    timeout: float = 30.0
    # golden expectations, checked on the etcd run
    rc: Optional[int] = None
    out: Optional[str] = None  # exact normalised stdout
    err: Optional[str] = None  # substring of normalised stderr

    @property
    def recorded(self):
        return self.kind in ("ctl", "grpc", "bg_stop", "bg_exit")


def ctl(label, *args, stdin=None, capture=None, timeout=30.0, rc=None, out=None, err=None):
    return Step("ctl", label, list(args), stdin=stdin, capture=capture, timeout=timeout, rc=rc,
                out=out, err=err)


def grpc_step(label, fn, rc=None, out=None, err=None):
    return Step("grpc", label, grpc=fn, rc=rc, out=out, err=err)


def sleep(seconds):
    return Step("sleep", f"sleep {seconds}", seconds=seconds)


def bg_start(name, *args, stdin=None):
    return Step("bg_start", f"start {name}", list(args), stdin=stdin, name=name)


def bg_write(name, text):
    return Step("bg_write", f"write to {name}", stdin=text, name=name)


def bg_close(name):
    return Step("bg_write", f"close stdin of {name}", stdin=None, name=name)


def bg_wait(name, text, count=1):
    return Step("bg_wait", f"{name} prints {text!r}", name=name, wait_for=text, count=count)


def bg_stop(name, sig=signal.SIGTERM, rc=None, out=None, err=None):
    return Step("bg_stop", f"stop {name}", name=name, sig=sig, rc=rc, out=out, err=err)


def bg_exit(name, timeout=WAIT_TIMEOUT, rc=None, out=None, err=None):
    return Step("bg_exit", f"{name} exits", name=name, timeout=timeout, rc=rc, out=out, err=err)


def header_revision(text):
    return json.loads(text)["header"]["revision"]


# ------------------------------------------------------------------ normalising


class LeaseIds:
    """Maps the lease ids one server granted to L1, L2, ... (order of grant)."""

    _GRANT_SIMPLE = re.compile(r"^lease ([0-9a-f]{16}) granted with TTL", re.M)
    _GRANT_JSON = re.compile(r'"ID":([0-9]+)')
    _HEX = re.compile(r"\b[0-9a-f]{16}\b")
    _DEC_JSON = re.compile(r'"(id|ID|lease)":([1-9][0-9]*)')
    _DEC_PB = re.compile(r"\blease: ([1-9][0-9]*)")
    _DEC_FIELDS = re.compile(r'"(Lease|ID)" : ([1-9][0-9]*)')

    def __init__(self):
        self.by_id = {}  # int id -> label
        self.by_label = {}  # label -> int id

    def learn_grant(self, stdout):
        ids = [int(h, 16) for h in self._GRANT_SIMPLE.findall(stdout)]
        if stdout.lstrip().startswith("{"):
            ids += [int(d) for d in self._GRANT_JSON.findall(stdout)]
        for i in ids:
            if i not in self.by_id:
                label = f"L{len(self.by_id) + 1}"
                self.by_id[i] = label
                self.by_label[label] = i

    def hex_of(self, label):
        return f"{self.by_label[label]:016x}"

    def normalise(self, text):
        def hex_sub(m):
            return self.by_id.get(int(m.group(0), 16), m.group(0))

        def dec_json(m):
            label = self.by_id.get(int(m.group(2)))
            return f'"{m.group(1)}":{label}' if label else m.group(0)

        def dec_pb(m):
            label = self.by_id.get(int(m.group(1)))
            return f"lease: {label}" if label else m.group(0)

        text = self._HEX.sub(hex_sub, text)
        def dec_fields(m):
            label = self.by_id.get(int(m.group(2)))
            return f'"{m.group(1)}" : {label}' if label else m.group(0)

        text = self._DEC_JSON.sub(dec_json, text)
        text = self._DEC_FIELDS.sub(dec_fields, text)
        return self._DEC_PB.sub(dec_pb, text)


_REMAINING = re.compile(r"remaining\((-?[0-9]+)s\)")
_JSON_TTL = re.compile(r'"ttl":(-?[0-9]+)')


def extract_ttls(text):
    """Returns (text with remaining TTLs as <TTL>, [the TTLs in order])."""
    ttls = []

    def take(fmt):
        def sub(m):
            ttls.append(int(m.group(1)))
            return fmt

        return sub

    text = _REMAINING.sub(take("remaining(<TTL>s)"), text)
    text = _JSON_TTL.sub(take('"ttl":<TTL>'), text)
    return text, ttls


_ATTACHED = re.compile(r"attached keys\(\[([^\]]*)\]\)")
_JSON_KEYS = re.compile(r'"keys":\[([^\]]*)\]')


def sort_attached_keys(text):
    """etcd 3.4 returns a lease's keys in Go map order: sort them."""
    text = _ATTACHED.sub(lambda m: "attached keys([" + " ".join(sorted(m.group(1).split())) +
                         "])", text)
    return _JSON_KEYS.sub(lambda m: '"keys":[' + ",".join(sorted(m.group(1).split(","))) + "]",
                          text)


def ttls_match(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x <= 0 or y <= 0:
            if x != y:
                return False
        elif abs(x - y) > 1:
            return False
    return True


# ------------------------------------------------------------------ replay


class Record:
    def __init__(self, index, step, command, rc, stdout, stderr, ttls):
        self.index = index
        self.step = step
        self.command = command
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.ttls = ttls

    def key(self):
        return (self.rc, self.stdout, self.stderr)

    def show(self):
        return (f"exit code: {self.rc}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n"
                f"{self.stderr}\n--- remaining TTLs: {self.ttls}\n")


class _Background:
    """A long-running etcdctl whose stdout/stderr are collected by threads."""

    def __init__(self, argv, env, stdin_text):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self._out = bytearray()
        self._err = bytearray()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out),
                                          daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err),
                                          daemon=True)]
        for t in self._threads:
            t.start()
        if stdin_text:
            self.write(stdin_text)

    def _pump(self, pipe, buf):
        while True:
            chunk = pipe.read1(65536)
            if not chunk:
                return
            with self._lock:
                buf.extend(chunk)

    def write(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def stdout(self):
        with self._lock:
            return bytes(self._out).decode("utf-8", "replace")

    def wait_for(self, text, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stdout().count(text) >= count:
                return True
            if self.proc.poll() is not None:
                time.sleep(0.1)  # let the pumps drain
                return self.stdout().count(text) >= count
            time.sleep(0.02)
        return False

    def finish(self, sig=None, timeout=WAIT_TIMEOUT):
        """Signals (if sig) and reaps the process; returns (rc, out, err)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = f"did not exit within {timeout}s (killed, rc {self.proc.wait()})"
        for t in self._threads:
            t.join(5)
        with self._lock:
            return (rc, bytes(self._out).decode("utf-8", "replace"),
                    bytes(self._err).decode("utf-8", "replace"))


_VAR = re.compile(r"\{([A-Z][A-Z0-9_]*)([+-][0-9]+)?\}")


class Replayer:
    def __init__(self, server):
        self.server = server
        self.leases = LeaseIds()
        self.vars = {}
        self.bg = {}
        self.records = []

    # -- substitution of {L3}, {REV_W+1}
    def subst(self, text):
        def sub(m):
            name, delta = m.group(1), int(m.group(2) or 0)
            if name in self.leases.by_label:
                return self.leases.hex_of(name)
            if name in self.vars:
                return str(self.vars[name] + delta)
            return m.group(0)  # unknown (the server never granted it): visible in the output

        return _VAR.sub(sub, text) if text is not None else None

    def normalise(self, text):
        return normalise_text(self.leases.normalise(text))

    def _env(self):
        import os
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        return env

    def _argv(self, args):
        return [ETCDCTL_BIN, f"--endpoints={self.server.endpoint}", *[self.subst(a) for a in args]]

    def _record(self, index, step, command, rc, out, err):
        if step.kind == "ctl" and step.args[:2] == ["lease", "grant"]:
            self.leases.learn_grant(out)
        out_n, ttls = extract_ttls(sort_attached_keys(self.normalise(out)))
        self.records.append(Record(index, step, command, rc, out_n, self.normalise(err), ttls))

    def run(self, steps):
        client = self.server.client()
        try:
            for i, step in enumerate(steps, 1):
                self._run_step(i, step, client)
        finally:
            client.close()
            for bg in self.bg.values():
                bg.finish(signal.SIGKILL, timeout=5)
        return self.records

    def _run_step(self, i, step, client):
        k = step.kind
        if k == "ctl":
            argv = self._argv(step.args)
            stdin = self.subst(step.stdin)
            try:
                p = subprocess.run(argv, input=stdin.encode() if stdin is not None else None,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=self._env(), timeout=step.timeout)
                rc, out, err = (p.returncode, p.stdout.decode("utf-8", "replace"),
                                p.stderr.decode("utf-8", "replace"))
            except subprocess.TimeoutExpired as e:
                rc = f"timed out after {step.timeout}s"
                out = (e.stdout or b"").decode("utf-8", "replace")
                err = (e.stderr or b"").decode("utf-8", "replace")
            self._record(i, step, _show_cmd(step), rc, out, err)
            if step.capture and rc == 0:
                name, fn = step.capture
                try:
                    self.vars[name] = fn(out)
                except Exception:  # an unparsable answer shows up in the record already
                    pass
        elif k == "grpc":
            try:
                resp = step.grpc(client, self)
                self._record(i, step, f"[grpc] {step.label}", 0, render_message(resp), "")
            except grpc.RpcError as e:
                self._record(i, step, f"[grpc] {step.label}", 1, "",
                             f"{e.code().name}: {e.details()}")
        elif k == "sleep":
            time.sleep(step.seconds)
        elif k == "bg_start":
            if step.name in self.bg:
                raise AssertionError(f"session bug: {step.name} started twice")
            self.bg[step.name] = _Background(self._argv(step.args), self._env(),
                                             self.subst(step.stdin))
            self.bg[step.name].command = _show_cmd(step)
        elif k == "bg_write":
            if step.stdin is None:
                self.bg[step.name].close_stdin()
            else:
                self.bg[step.name].write(self.subst(step.stdin))
        elif k == "bg_wait":
            bg = self.bg[step.name]
            text = self.subst(step.wait_for)
            # After one miss the process is known to lag: later waits on it
            # are short so that a broken server cannot run into the CTest
            # timeout; the misses are all recorded.
            timeout = 2.0 if getattr(bg, "lagging", False) else WAIT_TIMEOUT
            if not bg.wait_for(text, step.count, timeout):
                bg.lagging = True
                # Recorded as a step of its own so that the miss is reported
                # where it happened; the process keeps running.
                self._record(i, step, f"wait for {step.name}", "wait timed out",
                             bg.stdout(), f"{step.name} did not print {text!r} x{step.count} "
                             f"within {timeout}s")
        elif k in ("bg_stop", "bg_exit"):
            bg = self.bg.pop(step.name)
            sig = step.sig if k == "bg_stop" else None
            rc, out, err = bg.finish(sig, timeout=step.timeout if k == "bg_exit" else WAIT_TIMEOUT)
            self._record(i, step, bg.command, rc, out, err)
        else:
            raise AssertionError(f"unknown step kind {k}")


def _show_cmd(step):
    cmd = "etcdctl " + " ".join(repr(a) if (" " in a or a == "") else a for a in step.args)
    if step.stdin is not None:
        cmd += f"  <<< {step.stdin!r}"
    return cmd


# ------------------------------------------------------------------ gRPC steps


def lease_txn(key, result, lease_label, then_key):
    """Txn: if lease(key) <result> <lease> then put then_key=ok else get key.
    etcdctl 3.4 cannot send this: its txn parser hands the compared value to
    clientv3.Compare as a string, which panics ("bad value") for LEASE."""

    def call(client, replayer):
        lease = replayer.leases.by_label.get(lease_label, 0) if lease_label else 0
        req = rpc_pb2.TxnRequest()
        c = req.compare.add()
        c.target = rpc_pb2.Compare.LEASE
        c.result = result
        c.key = key.encode()
        c.lease = lease
        s = req.success.add()
        s.request_put.key = then_key.encode()
        s.request_put.value = b"ok"
        f = req.failure.add()
        f.request_range.key = key.encode()
        return client.kvstub.Txn(req, timeout=10)

    return call


EQ = rpc_pb2.Compare.EQUAL
GT = rpc_pb2.Compare.GREATER
LT = rpc_pb2.Compare.LESS


# ------------------------------------------------------------------ the session

UNKNOWN = "1234"  # a lease id no server grants in this session
E_LEASE_NOT_FOUND = "etcdserver: requested lease not found"
WATCH_EXEC = ["--", "sh", "-c",
              "echo $ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_REVISION"]
COMPACTED_STDERR = ("watch was canceled (etcdserver: mvcc: required revision has been compacted)\n"
                    "Error: watch is canceled by the server\n")


def _b64(text):
    import base64
    return base64.b64encode(text.encode()).decode()


def lease_steps():
    return [
        # ---- grant: TTLs below etcd's minimum (ceil(1.5 * election timeout) =
        # 2 s at the default flags) are raised to it; > MaxLeaseTTL refused.
        ctl("grant 60", "lease", "grant", "60", rc=0, out="lease L1 granted with TTL(60s)\n"),
        ctl("grant 30", "lease", "grant", "30", rc=0, out="lease L2 granted with TTL(30s)\n"),
        ctl("grant 45 -w json", "lease", "grant", "45", "-w", "json", rc=0,
            out='{"cluster_id":<ID>,"member_id":<ID>,"revision":1,"raft_term":<TERM>,'
                '"ID":L3,"TTL":45,"Error":""}\n'),
        ctl("grant too large", "lease", "grant", "9000000001", rc=1,
            err="Error: failed to grant lease (etcdserver: too large lease TTL)"),
        ctl("grant max TTL", "lease", "grant", "9000000000", rc=0,
            out="lease L4 granted with TTL(9000000000s)\n"),
        ctl("timetolive max TTL", "lease", "timetolive", "{L4}", rc=0,
            out="lease L4 granted with TTL(9000000000s), remaining(<TTL>s)\n"),
        ctl("timetolive", "lease", "timetolive", "{L1}", rc=0,
            out="lease L1 granted with TTL(60s), remaining(<TTL>s)\n"),
        ctl("timetolive -w json", "lease", "timetolive", "{L1}", "-w", "json", rc=0),
        ctl("timetolive unknown", "lease", "timetolive", UNKNOWN, rc=0,
            out="lease 0000000000001234 already expired\n"),
        ctl("timetolive unknown -w json", "lease", "timetolive", UNKNOWN, "-w", "json", rc=0,
            out='{"cluster_id":<ID>,"member_id":<ID>,"revision":1,"raft_term":<TERM>,'
                '"id":4660,"ttl":<TTL>,"granted-ttl":0,"keys":null}\n'),
        ctl("timetolive unknown --keys", "lease", "timetolive", UNKNOWN, "--keys", rc=0,
            out="lease 0000000000001234 already expired\n"),
        ctl("revoke unknown", "lease", "revoke", UNKNOWN, rc=1,
            err=f"Error: failed to revoke lease ({E_LEASE_NOT_FOUND})"),
        ctl("keep-alive --once unknown", "lease", "keep-alive", "--once", UNKNOWN, rc=2,
            err=f"Error: {E_LEASE_NOT_FOUND}"),
        ctl("keep-alive unknown", "lease", "keep-alive", UNKNOWN, rc=0,
            out="lease 0000000000001234 expired or revoked.\n"),
        ctl("put --lease unknown", "put", "lk/x", "v", f"--lease={UNKNOWN}", rc=1,
            err=f"Error: {E_LEASE_NOT_FOUND}"),
        # ---- keys with leases
        ctl("put lk/a --lease", "put", "lk/a", "va", "--lease={L1}", rc=0, out="OK\n"),  # 2
        ctl("put lk/b --lease", "put", "lk/b", "vb", "--lease={L1}", rc=0),  # 3
        ctl("put lk/c --lease", "put", "lk/c", "vc", "--lease={L2}", rc=0),  # 4
        ctl("get lk/a -w json", "get", "lk/a", "-w", "json", rc=0,
            out='{"header":{"cluster_id":<ID>,"member_id":<ID>,"revision":4,"raft_term":<TERM>},'
                '"kvs":[{"key":"bGsvYQ==","create_revision":2,"mod_revision":2,"version":1,'
                '"value":"dmE=","lease":L1}],"count":1}\n'),
        ctl("get lk/ -w json", "get", "lk/", "--prefix", "-w", "json", rc=0),
        ctl("get lk/ -w fields", "get", "lk/", "--prefix", "-w", "fields", rc=0),
        ctl("timetolive --keys", "lease", "timetolive", "{L1}", "--keys", rc=0,
            out="lease L1 granted with TTL(60s), remaining(<TTL>s), attached keys([lk/a lk/b])\n"),
        ctl("timetolive --keys -w json", "lease", "timetolive", "{L1}", "--keys", "-w", "json",
            rc=0),
        ctl("timetolive --keys one key", "lease", "timetolive", "{L2}", "--keys", rc=0,
            out="lease L2 granted with TTL(30s), remaining(<TTL>s), attached keys([lk/c])\n"),
        ctl("timetolive --keys no keys", "lease", "timetolive", "{L3}", "--keys", rc=0,
            out="lease L3 granted with TTL(45s), remaining(<TTL>s), attached keys([])\n"),
        ctl("put --ignore-lease keeps the lease", "put", "lk/a", "va2", "--ignore-lease",
            rc=0),  # 5
        ctl("get after --ignore-lease", "get", "lk/a", "-w", "json", rc=0,
            out='{"header":{"cluster_id":<ID>,"member_id":<ID>,"revision":5,"raft_term":<TERM>},'
                '"kvs":[{"key":"bGsvYQ==","create_revision":2,"mod_revision":5,"version":2,'
                '"value":"dmEy","lease":L1}],"count":1}\n'),
        ctl("put --ignore-lease with --lease", "put", "lk/a", "va9", "--ignore-lease",
            "--lease={L2}", rc=1, err="Error: etcdserver: lease is provided"),
        ctl("put without lease detaches", "put", "lk/a", "va3", rc=0),  # 6
        ctl("get after detach", "get", "lk/a", "-w", "json", rc=0,
            out='{"header":{"cluster_id":<ID>,"member_id":<ID>,"revision":6,"raft_term":<TERM>},'
                '"kvs":[{"key":"bGsvYQ==","create_revision":2,"mod_revision":6,"version":3,'
                '"value":"dmEz"}],"count":1}\n'),
        ctl("timetolive after detach", "lease", "timetolive", "{L1}", "--keys", rc=0,
            out="lease L1 granted with TTL(60s), remaining(<TTL>s), attached keys([lk/b])\n"),
        ctl("put moves key to other lease", "put", "lk/b", "vb2", "--lease={L2}", rc=0),  # 7
        ctl("old lease lost the key", "lease", "timetolive", "{L1}", "--keys", rc=0,
            out="lease L1 granted with TTL(60s), remaining(<TTL>s), attached keys([])\n"),
        ctl("new lease got the key", "lease", "timetolive", "{L2}", "--keys", rc=0,
            out="lease L2 granted with TTL(30s), remaining(<TTL>s), attached keys([lk/b lk/c])\n"),
        ctl("keep-alive --once", "lease", "keep-alive", "--once", "{L1}", rc=0,
            out="lease L1 keepalived with TTL(60)\n"),
        ctl("keep-alive --once -w json", "lease", "keep-alive", "--once", "{L1}", "-w", "json",
            rc=0, out='{"cluster_id":<ID>,"member_id":<ID>,"revision":7,"raft_term":<TERM>,'
                      '"ID":L1,"TTL":60}\n'),
        # etcd lists leases by expiry: L2 (30 s), L3 (45 s), L1 (60 s, renewed), L4.
        ctl("lease list", "lease", "list", rc=0, out="found 4 leases\nL2\nL3\nL1\nL4\n"),
        ctl("lease list -w json", "lease", "list", "-w", "json", rc=0,
            out='{"cluster_id":<ID>,"member_id":<ID>,"revision":7,"raft_term":<TERM>,'
                '"leases":[{"id":L2},{"id":L3},{"id":L1},{"id":L4}]}\n'),
        # ---- txn compares on the lease (raw gRPC: see lease_txn)
        grpc_step("txn lease(lk/b) = L2", lease_txn("lk/b", EQ, "L2", "lk/t1"), rc=0),  # 8
        grpc_step("txn lease(lk/b) = L1", lease_txn("lk/b", EQ, "L1", "lk/t2"), rc=0),
        grpc_step("txn lease(lk/c) > 0", lease_txn("lk/c", GT, None, "lk/t3"), rc=0),  # 9
        grpc_step("txn lease(lk/a) = 0", lease_txn("lk/a", EQ, None, "lk/t4"), rc=0),  # 10
        grpc_step("txn lease(lk/a) > 0", lease_txn("lk/a", GT, None, "lk/t5"), rc=0),
        grpc_step("txn lease(lk/c) < L1", lease_txn("lk/c", LT, "L1", "lk/t6"), rc=0),
        # ---- revoke deletes every attached key in ONE revision
        ctl("put lr/1", "put", "lr/1", "1", "--lease={L2}", rc=0),  # 11
        ctl("put lr/2", "put", "lr/2", "2", "--lease={L2}", rc=0),  # 12
        ctl("put lr/3", "put", "lr/3", "3", "--lease={L2}", rc=0),  # 13
        ctl("get lr/ before revoke", "get", "lr/", "--prefix", "-w", "json", rc=0),
        ctl("revoke", "lease", "revoke", "{L2}", rc=0, out="lease L2 revoked\n"),  # 14
        ctl("get lr/ after revoke", "get", "lr/", "--prefix", "-w", "json", rc=0,
            out='{"header":{"cluster_id":<ID>,"member_id":<ID>,"revision":14,'
                '"raft_term":<TERM>}}\n'),
        ctl("get lk/ after revoke", "get", "lk/", "--prefix", rc=0,
            out="lk/a\nva3\nlk/t1\nok\nlk/t3\nok\nlk/t4\nok\n"),
        ctl("revoke again", "lease", "revoke", "{L2}", rc=1,
            err=f"Error: failed to revoke lease ({E_LEASE_NOT_FOUND})"),
        ctl("timetolive revoked", "lease", "timetolive", "{L2}", rc=0,
            out="lease L2 already expired\n"),
        ctl("keep-alive --once revoked", "lease", "keep-alive", "--once", "{L2}", rc=2,
            err=f"Error: {E_LEASE_NOT_FOUND}"),
        ctl("put --lease revoked", "put", "lr/1", "x", "--lease={L2}", rc=1,
            err=f"Error: {E_LEASE_NOT_FOUND}"),
        ctl("revoke a lease without keys", "lease", "revoke", "{L3}", rc=0,
            out="lease L3 revoked\n"),
        ctl("revision unchanged by a keyless revoke", "get", "lk/a", "-w", "json", rc=0),
        # ---- keep-alive (not --once): the client renews every TTL/3 s. Lines
        # at ~0 s and ~3 s for TTL 9; stopped at 5 s.
        ctl("grant 9", "lease", "grant", "9", rc=0, out="lease L5 granted with TTL(9s)\n"),
        bg_start("keepalive", "lease", "keep-alive", "{L5}"),
        sleep(5.0),
        bg_stop("keepalive", rc=-signal.SIGTERM, out="lease L5 keepalived with TTL(9)\n" * 2),
        ctl("timetolive after keep-alive", "lease", "timetolive", "{L5}", rc=0),
        ctl("revoke the kept-alive lease", "lease", "revoke", "{L5}", rc=0,
            out="lease L5 revoked\n"),
        # keep-alive ends by itself once the lease is revoked under it
        ctl("grant 6", "lease", "grant", "6", rc=0, out="lease L6 granted with TTL(6s)\n"),
        bg_start("keepalive-revoked", "lease", "keep-alive", "{L6}"),
        bg_wait("keepalive-revoked", "keepalived"),
        ctl("revoke under keep-alive", "lease", "revoke", "{L6}", rc=0),
        bg_exit("keepalive-revoked", rc=0,
                out="lease L6 keepalived with TTL(6)\nlease L6 expired or revoked.\n"),
    ]


def expiry_steps():
    """Leases below the minimum TTL get 2 s; their keys vanish after expiry,
    each lease's keys in one DELETE revision, seen by a watcher."""
    return [
        bg_start("w-expiry", "watch", "ex/", "--prefix", "-w", "json"),
        sleep(WATCH_SETTLE),
        ctl("expiry marker", "put", "ex/m", "ready", rc=0),
        bg_wait("w-expiry", _b64("ready")),
        # etcd revokes the leases found expired in one check concurrently (a
        # goroutine each), so leases whose keys are compared expire at least
        # a second apart (the check runs every 500 ms).
        ctl("grant 1 (raised to min)", "lease", "grant", "1", rc=0,
            out="lease L7 granted with TTL(2s)\n"),
        ctl("put ex/1", "put", "ex/1", "a", "--lease={L7}", rc=0),
        ctl("put ex/2", "put", "ex/2", "b", "--lease={L7}", rc=0),
        ctl("grant 3", "lease", "grant", "3", rc=0, out="lease L8 granted with TTL(3s)\n"),
        ctl("put ex/3", "put", "ex/3", "c", "--lease={L8}", rc=0),
        ctl("grant 0 (raised to min)", "lease", "grant", "0", rc=0,
            out="lease L9 granted with TTL(2s)\n"),
        ctl("timetolive min TTL", "lease", "timetolive", "{L9}", rc=0,
            out="lease L9 granted with TTL(2s), remaining(<TTL>s)\n"),
        ctl("get ex/ before expiry", "get", "ex/", "--prefix", "-w", "json", rc=0,
            capture=("REV_EX", header_revision)),
        sleep(4.5),
        ctl("get ex/ after expiry", "get", "ex/", "--prefix", rc=0, out="ex/m\nready\n"),
        ctl("get ex/ after expiry -w json", "get", "ex/", "--prefix", "-w", "json", rc=0),
        ctl("timetolive expired", "lease", "timetolive", "{L7}", "--keys", rc=0,
            out="lease L7 already expired\n"),
        ctl("timetolive expired keyless", "lease", "timetolive", "{L9}", rc=0,
            out="lease L9 already expired\n"),
        ctl("lease list after expiry", "lease", "list", rc=0,
            out="found 2 leases\nL1\nL4\n"),
        ctl("revoke expired", "lease", "revoke", "{L8}", rc=1,
            err=f"Error: failed to revoke lease ({E_LEASE_NOT_FOUND})"),
        ctl("expiry end marker", "put", "ex/end", "done", rc=0),
        bg_wait("w-expiry", _b64("done")),
        bg_stop("w-expiry", rc=-signal.SIGTERM),
    ]


def watch_steps():
    settled = [bg_wait("w-key", "w/k\nm0\n"), bg_wait("w-prefix", "w/k\nm0\n"),
               bg_wait("w-range", "w/k\nm0\n"), bg_wait("w-json", _b64("m0")),
               bg_wait("w-exec", '"m0"'), bg_wait("w-interactive", "w/k\nm0\n")]
    ended = [bg_wait("w-key", "w/k\nend\n"), bg_wait("w-prefix", "w/k\nend\n"),
             bg_wait("w-range", "w/k\nend\n"), bg_wait("w-json", _b64("end")),
             bg_wait("w-exec", '"end"'), bg_wait("w-interactive", "w/k\nend\n")]
    return [
        ctl("revision before watches", "get", "w", "-w", "json", rc=0,
            capture=("REV_W", header_revision)),
        bg_start("w-key", "watch", "w/k"),
        bg_start("w-prefix", "watch", "w/", "--prefix", "--prev-kv"),
        bg_start("w-range", "watch", "w/a", "w/m"),
        bg_start("w-json", "watch", "w/", "--prefix", "-w", "json"),
        bg_start("w-exec", "watch", "w/k", *WATCH_EXEC),
        # Two watchers on keys that never change in one revision, so that the
        # goroutines printing them cannot interleave differently.
        bg_start("w-interactive", "watch", "-i", stdin="watch w/k\nbogus\nwatch\nwatch w/a\n"),
        sleep(WATCH_SETTLE),
        ctl("watch marker", "put", "w/k", "m0", rc=0),  # REV_W+1
        *settled,
        ctl("w put a", "put", "w/a", "1", rc=0),  # +2
        ctl("w put b", "put", "w/b", "2", rc=0),  # +3
        ctl("w put k", "put", "w/k", "3", rc=0),  # +4
        ctl("w del a", "del", "w/a", rc=0, out="1\n"),  # +5
        ctl("w txn three puts", "txn", "-i", stdin="\nput w/b 20\nput w/c 30\nput w/k 40\n\n\n",
            rc=0),  # +6: one revision
        ctl("w grant", "lease", "grant", "30", rc=0, out="lease L10 granted with TTL(30s)\n"),
        ctl("w put l1", "put", "w/l1", "x", "--lease={L10}", rc=0),  # +7
        ctl("w put l2", "put", "w/l2", "y", "--lease={L10}", rc=0),  # +8
        ctl("w revoke", "lease", "revoke", "{L10}", rc=0),  # +9: both DELETEs
        bg_write("w-interactive", "progress\n"),
        bg_wait("w-interactive", "progress notify:", count=2),
        ctl("w del prefix", "del", "w/", "--prefix", rc=0, out="3\n"),  # +10
        ctl("w end marker", "put", "w/k", "end", rc=0),  # +11
        *ended,
        bg_stop("w-key", rc=-signal.SIGTERM,
                out="PUT\nw/k\nm0\nPUT\nw/k\n3\nPUT\nw/k\n40\nDELETE\nw/k\n\nPUT\nw/k\nend\n"),
        bg_stop("w-prefix", rc=-signal.SIGTERM),
        bg_stop("w-range", rc=-signal.SIGTERM),
        bg_stop("w-json", rc=-signal.SIGTERM),
        bg_stop("w-exec", rc=-signal.SIGTERM),
        bg_close("w-interactive"),
        bg_exit("w-interactive", rc=3,
                err="Invalid command bogus (only support watch)\n"
                    "Invalid command watch (command type or key is not provided)\n"
                    "Error: Error reading watch request line: EOF\n"),
        # ---- from a past revision: history first, then live, no gap/duplicate
        bg_start("w-history", "watch", "--rev={REV_W+1}", "w/", "--prefix", "-w", "json"),
        bg_wait("w-history", _b64("end")),
        ctl("history live put", "put", "w/k", "live", rc=0),  # +12
        bg_wait("w-history", _b64("live")),
        bg_stop("w-history", rc=-signal.SIGTERM),
        bg_start("w-history-prev", "watch", "--rev={REV_W+4}", "w/k", "--prev-kv"),
        bg_wait("w-history-prev", "w/k\nlive\n"),
        bg_stop("w-history-prev", rc=-signal.SIGTERM,
                out="PUT\nw/k\nm0\nw/k\n3\nPUT\nw/k\n3\nw/k\n40\nDELETE\nw/k\n40\nw/k\n\n"
                    "PUT\nw/k\nend\nPUT\nw/k\nend\nw/k\nlive\n"),
        # ---- compaction
        ctl("compact", "compaction", "{REV_W+3}", rc=0),
        ctl("watch compacted rev", "watch", "--rev=1", "w/k", timeout=20, rc=5, out="",
            err=COMPACTED_STDERR),
        ctl("watch compacted rev -w json", "watch", "--rev={REV_W+2}", "w/", "--prefix", "-w",
            "json", timeout=20, rc=5, err=COMPACTED_STDERR),
        bg_start("w-at-compact", "watch", "--rev={REV_W+3}", "w/", "--prefix"),
        bg_wait("w-at-compact", "w/k\nlive\n"),
        bg_stop("w-at-compact", rc=-signal.SIGTERM),
    ]


def steps():
    return lease_steps() + expiry_steps() + watch_steps()
