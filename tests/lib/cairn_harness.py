"""Black-box harness: start a single-member Cairn or etcd 3.4 server, drive it
with etcdctl or python-etcd3, stop it cleanly or with kill -9, restart it on
the same data directory.

Which server runs is chosen by `flavour`:
  * "cairn": the binary named by $CAIRN_BIN.
  * "etcd":  /usr/bin/etcd (override with $ETCD_BIN), the reference.
`default_flavour()` picks cairn when $CAIRN_BIN is set, etcd otherwise, unless
$CAIRN_TEST_SERVER forces one. Both get the same etcd 3.4 flags; flags that
only Cairn knows (--storage-backend) are dropped for etcd so one test body
runs against both.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ETCD_BIN = os.environ.get("ETCD_BIN", "/usr/bin/etcd")
ETCDCTL_BIN = os.environ.get("ETCDCTL_BIN", "/usr/bin/etcdctl")

# Flags Cairn accepts on top of etcd 3.4's; etcd would refuse them.
CAIRN_ONLY_FLAGS = ("--storage-backend", "--plugins")

# Ports handed out by this harness come from below the kernel's ephemeral
# range so that outgoing client connections (which use ephemeral ports) can
# never steal a port between reservation and the server's bind.
PORT_RANGE = (15000, 32000)
PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "cairn-test-ports")

STARTUP_TIMEOUT = float(os.environ.get("CAIRN_STARTUP_TIMEOUT", "30"))


# setpriv (util-linux, in every Debian) sets PR_SET_PDEATHSIG and then execs
# the server, so the server gets SIGKILL if the test process dies (e.g. a
# CTest timeout kills pytest) and never outlives its test holding ports. A
# preexec_fn would do the same from Python between fork and exec, which is
# unsafe once gRPC threads run in this process (it crashed pytest under load).
SETPRIV = shutil.which("setpriv")


def _with_parent_death_signal(argv):
    return [SETPRIV, "--pdeathsig", "KILL", "--", *argv] if SETPRIV else list(argv)


class HarnessError(AssertionError):
    """A server did not behave as a server must (failed start, unclean exit)."""


def cairn_bin():
    path = os.environ.get("CAIRN_BIN", "")
    if path and not os.access(path, os.X_OK):
        raise HarnessError(f"CAIRN_BIN={path!r} is not an executable file")
    return path or None


def default_flavour():
    forced = os.environ.get("CAIRN_TEST_SERVER", "")
    if forced:
        if forced not in ("cairn", "etcd"):
            raise HarnessError(f"CAIRN_TEST_SERVER must be cairn or etcd, not {forced!r}")
        return forced
    if os.environ.get("CAIRN_REQUIRE_BIN") == "1" and not cairn_bin():
        # Set by CMake when the cairn target exists: silently testing etcd
        # instead would turn a broken setup into a green run.
        raise HarnessError("CAIRN_REQUIRE_BIN=1 but CAIRN_BIN is not set")
    return "cairn" if cairn_bin() else "etcd"


# ---------------------------------------------------------------- ports


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PortReservation:
    """A TCP port reserved across processes via an O_EXCL lock file holding
    the owner's pid (stale files of dead owners are reclaimed), so parallel
    CTest jobs never hand the same port to two servers."""

    def __init__(self, port, path):
        self.port = port
        self._path = path

    def release(self):
        try:
            os.unlink(self._path)
        except FileNotFoundError:
            pass


def _port_bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def reserve_port():
    os.makedirs(PORT_LOCK_DIR, exist_ok=True)
    rng = random.Random()
    for _ in range(2000):
        port = rng.randint(*PORT_RANGE)
        path = os.path.join(PORT_LOCK_DIR, str(port))
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                with open(path) as f:
                    owner = int(f.read().strip() or "0")
            except (OSError, ValueError):
                continue
            if owner and not _pid_alive(owner):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        if _port_bindable(port):
            return PortReservation(port, path)
        os.unlink(path)
    raise HarnessError("could not reserve a free TCP port")


# ---------------------------------------------------------------- etcdctl


class CtlResult:
    def __init__(self, args, rc, stdout, stderr):
        self.args = args
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    @property
    def out(self):
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "replace")

    def check(self):
        if self.rc != 0:
            raise AssertionError(
                f"etcdctl {' '.join(self.args)} failed rc={self.rc}\n"
                f"stdout: {self.out}\nstderr: {self.err}")
        return self

    def __repr__(self):
        return f"CtlResult(args={self.args!r}, rc={self.rc}, stdout={self.out!r}, stderr={self.err!r})"


def etcdctl(endpoint, *args, stdin=None, timeout=30, extra_env=None):
    """Run `ETCDCTL_API=3 etcdctl --endpoints=<endpoint> <args>`; returns a
    CtlResult with raw stdout/stderr bytes and the exit code."""
    env = dict(os.environ)
    env["ETCDCTL_API"] = "3"
    # Keep etcdctl from picking up a developer's TLS/auth settings.
    for k in list(env):
        if k.startswith("ETCDCTL_") and k != "ETCDCTL_API":
            del env[k]
    if extra_env:
        env.update(extra_env)
    argv = [ETCDCTL_BIN, f"--endpoints={endpoint}", *args]
    if isinstance(stdin, str):
        stdin = stdin.encode()
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=timeout)
    return CtlResult(list(args), p.returncode, p.stdout, p.stderr)


# ---------------------------------------------------------------- server


class Server:
    """One single-member server. Ports and data dir stay fixed across
    restarts; the log file accumulates every run (each run is headed by a
    marker line written by the harness)."""

    def __init__(self, flavour=None, backend=None, extra_args=(), workdir=None, name="n1",
                 ports=None):
        self.flavour = flavour or default_flavour()
        self.backend = backend
        self.extra_args = list(extra_args)
        self.name = name
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"cairn-{self.flavour}-")
        os.makedirs(self.workdir, exist_ok=True)
        self.data_dir = os.path.join(self.workdir, "data")
        self.log_path = os.path.join(self.workdir, "server.log")
        # (client, peer) reservations of another server, to run a second
        # server on the same addresses once the first one stopped.
        self._client, self._peer = ports if ports else (reserve_port(), reserve_port())
        self.proc = None
        self._log = None
        self._run_log_offset = 0
        self.runs = 0

    # -- addresses
    @property
    def client_port(self):
        return self._client.port

    @property
    def peer_port(self):
        return self._peer.port

    @property
    def endpoint(self):
        return f"http://{self.host}:{self.client_port}"

    @property
    def host(self):
        return "127.0.0.1"

    def command_prefix(self):
        """What the server command runs under (a network namespace, say)."""
        return []

    # -- command line
    def binary(self):
        if self.flavour == "cairn":
            b = cairn_bin()
            if not b:
                raise HarnessError("flavour cairn needs CAIRN_BIN")
            return b
        return ETCD_BIN

    def args(self):
        c = f"http://{self.host}:{self.client_port}"
        p = f"http://{self.host}:{self.peer_port}"
        a = [
            f"--name={self.name}",
            f"--data-dir={self.data_dir}",
            f"--listen-client-urls={c}",
            f"--advertise-client-urls={c}",
            f"--listen-peer-urls={p}",
            f"--initial-advertise-peer-urls={p}",
            f"--initial-cluster={self.name}={p}",
        ]
        if self.backend:
            a.append(f"--storage-backend={self.backend}")
        a += self.extra_args
        if self.flavour == "etcd":
            a = [x for x in a if not x.split("=", 1)[0] in CAIRN_ONLY_FLAGS]
            # etcd 3.4 defaults to capnslog text; ask for the zap JSON lines
            # that Cairn always writes so log assertions see the same shape.
            a += ["--logger=zap", "--log-outputs=stderr"]
        return a

    # -- lifecycle
    def start(self, wait=True, timeout=STARTUP_TIMEOUT):
        if self.proc is not None:
            raise HarnessError("server already running")
        self.runs += 1
        self._log = open(self.log_path, "ab")
        self._log.write(f"==== harness: run {self.runs} of {self.flavour}: "
                        f"{self.binary()} {' '.join(self.args())}\n".encode())
        self._log.flush()
        self._run_log_offset = self._log.tell()
        argv = [*self.command_prefix(), self.binary(), *self.args()]
        self.proc = subprocess.Popen(_with_parent_death_signal(argv),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     start_new_session=True)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=STARTUP_TIMEOUT):
        """Ready = the client port accepts and a Range succeeds."""
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self._fail(f"server exited with code {rc} during startup")
            try:
                with socket.create_connection((self.host, self.client_port), timeout=0.5):
                    pass
            except OSError as e:
                last = f"client port not accepting: {e}"
                time.sleep(0.05)
                continue
            ok, last = self._probe_range()
            if ok:
                return
            time.sleep(0.1)
        self._fail(f"server not ready within {timeout}s ({last})")

    def _probe_range(self):
        try:
            import etcd3  # noqa: F401 (optional: faster than spawning etcdctl)
        except ImportError:
            r = etcdctl(self.endpoint, "--command-timeout=2s", "get", "cairn-harness-ready-probe",
                        timeout=10)
            # A refusal by auth is an answer too: the server is ready.
            ok = r.rc == 0 or "etcdserver: user name is empty" in r.err
            return ok, f"probe Range: rc={r.rc} {r.err.strip()}"
        try:
            c = etcd3.client(self.host, self.client_port, timeout=2)
            try:
                c.get("cairn-harness-ready-probe")
            finally:
                c.close()
            return True, "ok"
        except Exception as e:  # any gRPC failure means "not yet"
            # ...except a refusal by auth: the server answered, it is ready.
            if "etcdserver: user name is empty" in str(e):
                return True, "ok (auth enabled)"
            return False, f"probe Range: {type(e).__name__}: {e}"

    def _fail(self, why):
        self.kill()
        raise HarnessError(f"{why}\n--- {self.flavour} log tail ({self.log_path}) ---\n"
                           f"{self.log_tail()}")

    def stop(self, timeout=20, expect_clean=True):
        """SIGTERM and wait. Returns the exit code (negative = signal).
        A clean exit is 0 for Cairn; etcd 3.4 re-raises SIGTERM after its
        shutdown handlers ran, so -SIGTERM counts as clean for etcd only."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise HarnessError(f"server did not exit within {timeout}s of SIGTERM\n"
                               f"{self.log_tail()}")
        self._closed()
        if expect_clean and rc not in self.clean_exit_codes():
            raise HarnessError(f"unclean exit after SIGTERM: code {rc}\n{self.log_tail()}")
        return rc

    def clean_exit_codes(self):
        return (0, -signal.SIGTERM) if self.flavour == "etcd" else (0,)

    def kill(self):
        """kill -9, as a crash would."""
        if self.proc is None:
            return
        # The server leads its own process group (start_new_session): kill
        # the group so nothing it spawned outlives it holding our ports.
        if self.proc.returncode is None:  # not reaped: the pgid is still ours
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self._closed()

    def restart(self, wait=True):
        self.stop()
        return self.start(wait=wait)

    def _closed(self):
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def cleanup(self):
        """Stop (kill) the server, free ports, remove the work dir."""
        self.kill()
        self._client.release()
        self._peer.release()
        if self._own_workdir and os.environ.get("CAIRN_KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    # -- logs
    def log_text(self, current_run_only=True):
        with open(self.log_path, "rb") as f:
            if current_run_only:
                f.seek(self._run_log_offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def log_records(self, current_run_only=True):
        """The JSON log lines, parsed (other lines skipped)."""
        records = []
        for line in self.log_text(current_run_only).splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records

    def log_messages(self, current_run_only=True):
        """The "msg" fields of the JSON log lines."""
        return [r.get("msg", "") for r in self.log_records(current_run_only)]

    # -- clients
    def ctl(self, *args, stdin=None, timeout=30):
        return etcdctl(self.endpoint, *args, stdin=stdin, timeout=timeout)

    def client(self, timeout=10):
        import etcd3
        return etcd3.client(self.host, self.client_port, timeout=timeout)


def run_binary(binary, args, timeout=20):
    """Run a server binary that is expected to exit by itself (bad flags)."""
    p = subprocess.run([binary, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
