"""The scripted KV gRPC session replayed against etcd 3.4 and against Cairn.

Every step is one unary call on etcdserverpb.KV (Range, Put, DeleteRange,
Txn, Compact) built with python-etcd3's generated stubs, so requests can say
things etcdctl cannot (count_only, min/max revisions, nested txns, empty
union ops, negative limits, ...).

Servers run with SERVER_FLAGS so the limits are cheap to hit. The comments
track the store revision of a fresh server (first write = revision 2); the
golden `rev` / `err` of a step is what etcd 3.4 answers and is checked against
the etcd recording, so the scenario keeps testing what it claims to test even
when no Cairn binary is available.

Key fixtures (after the setup steps):
  a  create 2, mod 6, version 3, value "2"
  b  create 4, mod 7, version 2, value "B"
  c  create 5, mod 5, version 1, value "y"
  s/a s/b s/c s/d: no ties on any sort target
      key      version  create  mod  value
      s/a      1        9       9    zz
      s/b      4        10      14   mm
      s/c      3        8       15   aa
      s/d      2        16      17   ab
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from etcd3.etcdrpc import rpc_pb2

MAX_TXN_OPS = 8
MAX_REQUEST_BYTES = 4096
SERVER_FLAGS = [f"--max-txn-ops={MAX_TXN_OPS}", f"--max-request-bytes={MAX_REQUEST_BYTES}",
                "--snapshot-count=10000"]

BIG = b"x" * 5000  # > --max-request-bytes, far below the gRPC receive limit
# etcd's gRPC server accepts messages up to max-request-bytes + 512 KiB.
HUGE = b"h" * (MAX_REQUEST_BYTES + 512 * 1024 + 1000)

NO_LEASE_ID = 0x1234ABCD  # never granted

R = rpc_pb2.RangeRequest
C = rpc_pb2.Compare

SORT_TARGETS = ("KEY", "VERSION", "CREATE", "MOD", "VALUE")
SORT_ORDERS = ("NONE", "ASCEND", "DESCEND")


@dataclass
class Step:
    label: str
    method: str  # Range | Put | DeleteRange | Txn | Compact
    request: object
    # golden (checked on the etcd run): header revision of a success, or
    # (grpc code name, details) of an error.
    rev: Optional[int] = None
    err: Optional[Tuple[str, str]] = None


# gRPC errors etcd 3.4 answers (code, details).
E_EMPTY_KEY = ("INVALID_ARGUMENT", "etcdserver: key is not provided")
E_KEY_NOT_FOUND = ("INVALID_ARGUMENT", "etcdserver: key not found")
E_VALUE_PROVIDED = ("INVALID_ARGUMENT", "etcdserver: value is provided")
E_LEASE_PROVIDED = ("INVALID_ARGUMENT", "etcdserver: lease is provided")
E_LEASE_NOT_FOUND = ("NOT_FOUND", "etcdserver: requested lease not found")
E_TOO_LARGE = ("INVALID_ARGUMENT", "etcdserver: request is too large")
E_TOO_MANY_OPS = ("INVALID_ARGUMENT", "etcdserver: too many operations in txn request")
E_DUPLICATE = ("INVALID_ARGUMENT", "etcdserver: duplicate key given in txn request")
E_COMPACTED = ("OUT_OF_RANGE", "etcdserver: mvcc: required revision has been compacted")
E_FUTURE = ("OUT_OF_RANGE", "etcdserver: mvcc: required revision is a future revision")


def b(x):
    return x if isinstance(x, bytes) else x.encode()


def prefix_end(p):
    p = bytearray(b(p))
    p[-1] += 1
    return bytes(p)


# ---------------------------------------------------------------- builders


def rng(key, range_end=b"", **kw):
    return R(key=b(key), range_end=b(range_end), **kw)


def put(key, value=b"", **kw):
    return rpc_pb2.PutRequest(key=b(key), value=b(value), **kw)


def dele(key, range_end=b"", **kw):
    return rpc_pb2.DeleteRangeRequest(key=b(key), range_end=b(range_end), **kw)


def op(req):
    """A RequestOp around any request; None gives an empty union."""
    if req is None:
        return rpc_pb2.RequestOp()
    field = {
        rpc_pb2.RangeRequest: "request_range",
        rpc_pb2.PutRequest: "request_put",
        rpc_pb2.DeleteRangeRequest: "request_delete_range",
        rpc_pb2.TxnRequest: "request_txn",
    }[type(req)]
    return rpc_pb2.RequestOp(**{field: req})


def cmp(key, target, result, operand, range_end=b""):
    field = {"VALUE": "value", "VERSION": "version", "CREATE": "create_revision",
             "MOD": "mod_revision", "LEASE": "lease"}[target]
    return C(key=b(key), range_end=b(range_end), target=getattr(C, target),
             result=getattr(C, result), **{field: b(operand) if target == "VALUE" else operand})


def txn(compare=(), success=(), failure=()):
    return rpc_pb2.TxnRequest(compare=list(compare), success=[op(r) for r in success],
                              failure=[op(r) for r in failure])


def compact(revision, physical=False):
    return rpc_pb2.CompactionRequest(revision=revision, physical=physical)


# ---------------------------------------------------------------- the session


def _puts():
    return [
        Step("put empty key", "Put", put("", "v"), err=E_EMPTY_KEY),
        Step("put new key prev_kv", "Put", put("a", "1", prev_kv=True), rev=2),
        Step("put existing key prev_kv", "Put", put("a", "2", prev_kv=True), rev=3),
        Step("put b", "Put", put("b", "x"), rev=4),
        Step("put c", "Put", put("c", "y"), rev=5),
        Step("put ignore_value existing prev_kv", "Put",
             put("a", ignore_value=True, prev_kv=True), rev=6),
        Step("put ignore_value missing key", "Put", put("nope", ignore_value=True),
             err=E_KEY_NOT_FOUND),
        Step("put ignore_value with value", "Put", put("a", "v", ignore_value=True),
             err=E_VALUE_PROVIDED),
        Step("put ignore_lease existing", "Put", put("b", "B", ignore_lease=True), rev=7),
        Step("put ignore_lease missing key", "Put", put("nope", "v", ignore_lease=True),
             err=E_KEY_NOT_FOUND),
        Step("put ignore_lease with lease", "Put", put("b", "v", ignore_lease=True, lease=5),
             err=E_LEASE_PROVIDED),
        Step("put nonexistent lease", "Put", put("l", "v", lease=NO_LEASE_ID),
             err=E_LEASE_NOT_FOUND),
        Step("put over max-request-bytes", "Put", put("big", BIG), err=E_TOO_LARGE),
        # Rejected by the gRPC transport itself (grpc-go's wording), before
        # any etcd code runs.
        Step("put over gRPC receive limit", "Put", put("huge", HUGE),
             err=("RESOURCE_EXHAUSTED", "grpc: received message larger than max "
                  f"({put('huge', HUGE).ByteSize()} vs. {MAX_REQUEST_BYTES + 512 * 1024})")),
        Step("get a after ignore_value", "Range", rng("a"), rev=7),
        # sort fixtures
        Step("put s/c", "Put", put("s/c", "aa"), rev=8),
        Step("put s/a", "Put", put("s/a", "zz"), rev=9),
        Step("put s/b", "Put", put("s/b", "m1"), rev=10),
        Step("put s/c again", "Put", put("s/c", "aa"), rev=11),
        Step("put s/b again", "Put", put("s/b", "m2"), rev=12),
        Step("put s/b third", "Put", put("s/b", "mm"), rev=13),
        Step("put s/b fourth", "Put", put("s/b", "mm", prev_kv=True), rev=14),
        Step("put s/c third", "Put", put("s/c", "aa"), rev=15),
        Step("put s/d", "Put", put("s/d", "ab"), rev=16),
        Step("put s/d again", "Put", put("s/d", "ab"), rev=17),
        Step("put p/1", "Put", put("p/1", "1"), rev=18),
        Step("put p/2", "Put", put("p/2", "2"), rev=19),
        Step("put p0", "Put", put("p0", "x"), rev=20),
        Step("put non-utf8 key", "Put", put(b"\xff\x01", "hi"), rev=21),
    ]


def _ranges():
    s = [
        Step("range single key", "Range", rng("a"), rev=21),
        Step("range missing key", "Range", rng("zz-none"), rev=21),
        Step("range [b, s/b)", "Range", rng("b", "s/b"), rev=21),
        Step("range prefix p/", "Range", rng("p/", prefix_end("p/")), rev=21),
        Step("range from-key s/", "Range", rng("s/", b"\0"), rev=21),
        Step("range all keys", "Range", rng(b"\0", b"\0"), rev=21),
        Step("range key > range_end", "Range", rng("z", "a"), rev=21),
        Step("range limit 2 more", "Range", rng("s/", "s0", limit=2), rev=21),
        Step("range limit exact", "Range", rng("s/", "s0", limit=4), rev=21),
        Step("range limit above count", "Range", rng("s/", "s0", limit=10), rev=21),
        Step("range negative limit", "Range", rng("s/", "s0", limit=-1), rev=21),
        Step("range limit on single key", "Range", rng("a", limit=1), rev=21),
        Step("range past revision 2", "Range", rng("a", revision=2), rev=21),
        Step("range past revision 3 prefix", "Range", rng("s/", "s0", revision=12), rev=21),
        Step("range current revision", "Range", rng("a", revision=21), rev=21),
        Step("range future revision", "Range", rng("a", revision=22), err=E_FUTURE),
        Step("range negative revision", "Range", rng("a", revision=-5), rev=21),
        Step("range past revision before key existed", "Range", rng("s/", "s0", revision=8),
             rev=21),
    ]
    for limit in (0, 2):
        for target in SORT_TARGETS:
            for order in SORT_ORDERS:
                s.append(Step(f"range sort {target} {order} limit {limit}", "Range",
                              rng("s/", "s0", sort_target=getattr(R, target),
                                  sort_order=getattr(R, order), limit=limit), rev=21))
    s += [
        Step("range keys_only", "Range", rng("s/", "s0", keys_only=True), rev=21),
        Step("range count_only", "Range", rng("s/", "s0", count_only=True), rev=21),
        Step("range count_only limit", "Range", rng("s/", "s0", count_only=True, limit=1), rev=21),
        Step("range count_only keys_only", "Range",
             rng(b"\0", b"\0", count_only=True, keys_only=True), rev=21),
        Step("range count_only past revision", "Range",
             rng("s/", "s0", count_only=True, revision=10), rev=21),
        Step("range min_mod_revision", "Range", rng("s/", "s0", min_mod_revision=14), rev=21),
        Step("range max_mod_revision", "Range", rng("s/", "s0", max_mod_revision=14), rev=21),
        Step("range min_create_revision", "Range", rng("s/", "s0", min_create_revision=10),
             rev=21),
        Step("range max_create_revision", "Range", rng("s/", "s0", max_create_revision=9),
             rev=21),
        Step("range min_mod_revision limit", "Range",
             rng("s/", "s0", min_mod_revision=10, limit=1), rev=21),
        Step("range max_mod_revision limit", "Range",
             rng("s/", "s0", max_mod_revision=15, limit=2), rev=21),
        Step("range min_create_revision limit", "Range",
             rng("s/", "s0", min_create_revision=9, limit=2), rev=21),
        Step("range max_create_revision limit", "Range",
             rng("s/", "s0", max_create_revision=10, limit=2), rev=21),
        Step("range max_create_revision limit equal to matches", "Range",
             rng("s/", "s0", max_create_revision=10, limit=3), rev=21),
        Step("range min/max filters combined sorted", "Range",
             rng(b"\0", b"\0", min_mod_revision=5, max_create_revision=10,
                 sort_target=R.VALUE, sort_order=R.DESCEND, limit=3), rev=21),
        Step("range filter matches nothing", "Range",
             rng("s/", "s0", min_create_revision=100, limit=1), rev=21),
        Step("range filter with count_only", "Range",
             rng("s/", "s0", min_mod_revision=15, count_only=True), rev=21),
        Step("range filter with past revision", "Range",
             rng("s/", "s0", max_mod_revision=11, revision=14), rev=21),
        Step("range serializable", "Range", rng("a", serializable=True), rev=21),
        Step("range serializable prefix past revision", "Range",
             rng("s/", "s0", serializable=True, revision=10), rev=21),
        Step("range linearizable", "Range", rng("a", serializable=False), rev=21),
        Step("range empty key", "Range", rng("", "a"), err=E_EMPTY_KEY),
        Step("range empty key all", "Range", rng("", b"\0"), err=E_EMPTY_KEY),
        # Reads do not go through raft: max-request-bytes does not apply.
        Step("range key over max-request-bytes", "Range", rng(BIG), rev=21),
    ]
    return s


def _deletes():
    return [
        Step("put d/1", "Put", put("d/1", "1"), rev=22),
        Step("put d/2", "Put", put("d/2", "2"), rev=23),
        Step("put d/3", "Put", put("d/3", "3"), rev=24),
        Step("put d/4", "Put", put("d/4", "4"), rev=25),
        Step("put x/1", "Put", put("x/1", "1"), rev=26),
        Step("put x/2", "Put", put("x/2", "2"), rev=27),
        Step("delete single prev_kv", "DeleteRange", dele("d/1", prev_kv=True), rev=28),
        Step("delete range", "DeleteRange", dele("d/2", "d/4"), rev=29),
        Step("delete prefix prev_kv", "DeleteRange", dele("d/", "d0", prev_kv=True), rev=30),
        Step("delete nothing prefix", "DeleteRange", dele("d/", "d0", prev_kv=True), rev=30),
        Step("delete nothing single", "DeleteRange", dele("d/1"), rev=30),
        Step("revision unchanged after empty deletes", "Range", rng("a"), rev=30),
        Step("delete from-key prev_kv", "DeleteRange", dele("x/", b"\0", prev_kv=True), rev=31),
        Step("delete empty key", "DeleteRange", dele(""), err=E_EMPTY_KEY),
        Step("delete empty key with range_end", "DeleteRange", dele("", b"\0"), err=E_EMPTY_KEY),
        Step("delete over max-request-bytes", "DeleteRange", dele(BIG), err=E_TOO_LARGE),
        Step("all keys after deletes", "Range", rng(b"\0", b"\0"), rev=31),
    ]


# (target, operand on key a, expected per result) -- a: value "2", version 3,
# create 2, mod 6, lease 0. Each row mixes taken and not-taken branches.
_COMPARE_TABLE = [
    ("VALUE", "2", {"EQUAL": True, "GREATER": False, "LESS": False, "NOT_EQUAL": False}),
    ("VALUE", "1", {"EQUAL": False, "GREATER": True, "LESS": False, "NOT_EQUAL": True}),
    ("VALUE", "3", {"LESS": True}),
    ("VERSION", 3, {"EQUAL": True, "GREATER": False, "LESS": False, "NOT_EQUAL": False}),
    ("VERSION", 2, {"GREATER": True, "NOT_EQUAL": True}),
    ("VERSION", 4, {"LESS": True}),
    ("CREATE", 2, {"EQUAL": True, "GREATER": False, "LESS": False, "NOT_EQUAL": False}),
    ("CREATE", 1, {"GREATER": True}),
    ("CREATE", 3, {"LESS": True, "NOT_EQUAL": True}),
    ("MOD", 6, {"EQUAL": True, "GREATER": False, "LESS": False, "NOT_EQUAL": False}),
    ("MOD", 5, {"GREATER": True}),
    ("MOD", 7, {"LESS": True, "NOT_EQUAL": True}),
    ("LEASE", 0, {"EQUAL": True, "GREATER": False, "LESS": False, "NOT_EQUAL": False}),
    ("LEASE", 1, {"LESS": True, "NOT_EQUAL": True}),
    ("LEASE", -1, {"GREATER": True}),
]


def _compare_steps(rev):
    s = []
    for target, operand, results in _COMPARE_TABLE:
        for result in results:
            s.append(Step(f"txn compare {target} {result} {operand!r}", "Txn",
                          txn([cmp("a", target, result, operand)],
                              success=[rng("a", keys_only=True)], failure=[rng("b")]), rev=rev))
    s += [
        Step("txn compare VALUE on missing key NOT_EQUAL", "Txn",
             txn([cmp("missing", "VALUE", "NOT_EQUAL", "x")], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare VERSION on missing key EQUAL 0", "Txn",
             txn([cmp("missing", "VERSION", "EQUAL", 0)], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare LEASE on missing key EQUAL 0", "Txn",
             txn([cmp("missing", "LEASE", "EQUAL", 0)], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare range VERSION GREATER 0", "Txn",
             txn([cmp("s/", "VERSION", "GREATER", 0, "s0")], [rng("s/", "s0", count_only=True)],
                 [rng("b")]), rev=rev),
        Step("txn compare range MOD LESS 15", "Txn",
             txn([cmp("s/", "MOD", "LESS", 15, "s0")], [rng("a")], [rng("s/", "s0", limit=1)]),
             rev=rev),
        Step("txn compare range CREATE GREATER 7", "Txn",
             txn([cmp("s/", "CREATE", "GREATER", 7, "s0")], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare range VALUE NOT_EQUAL", "Txn",
             txn([cmp("s/", "VALUE", "NOT_EQUAL", "mm", "s0")], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare from-key VALUE GREATER", "Txn",
             txn([cmp("s/", "VALUE", "GREATER", "a", b"\0")], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare empty range VALUE", "Txn",
             txn([cmp("q/", "VALUE", "EQUAL", "", "q0")], [rng("a")], [rng("b")]), rev=rev),
        Step("txn compare empty range VERSION EQUAL 0", "Txn",
             txn([cmp("q/", "VERSION", "EQUAL", 0, "q0")], [rng("a")], [rng("b")]), rev=rev),
        Step("txn several compares all true", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "2"), cmp("b", "VERSION", "EQUAL", 2),
                  cmp("c", "MOD", "EQUAL", 5)], [rng("a"), rng("c")], [rng("b")]), rev=rev),
        Step("txn several compares one false", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "2"), cmp("b", "VERSION", "EQUAL", 3)],
                 [rng("a")], [rng("b"), rng("c")]), rev=rev),
        Step("txn compare empty key", "Txn",
             txn([cmp("", "VERSION", "EQUAL", 0)], [rng("a")], []), err=E_EMPTY_KEY),
    ]
    return s


def _txns():
    s = _compare_steps(rev=31)
    s += [
        Step("txn empty", "Txn", txn(), rev=31),
        Step("txn read-only no bump", "Txn",
             txn([], [rng("a"), rng("s/", "s0", sort_target=R.MOD, sort_order=R.DESCEND,
                                     limit=2)]), rev=31),
        Step("txn read-only with key over max-request-bytes", "Txn", txn([], [rng(BIG)]), rev=31),
        Step("txn writes nothing", "Txn",
             txn([], [dele("nothing"), rng("a")]), rev=31),
        Step("txn success branch put/range/delete", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "2")],
                 [rng("a"), put("a", "3", prev_kv=True), rng("a"), dele("c", prev_kv=True),
                  put("t/1", "t"), rng("t/", "t0")],
                 [put("f/1", "never")]), rev=32),
        Step("txn failure branch put/range", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "nope")], [put("x", "never")],
                 [put("f/1", "1"), put("f/2", "2"), rng("f/", "f0"), dele("b", prev_kv=True)]),
             rev=33),
        # Compares of nested txns see the store before any op of the outer
        # txn ran: n/1 does not exist yet when the inner compare is evaluated.
        Step("txn nested in success", "Txn",
             txn([cmp("a", "VERSION", "GREATER", 0)],
                 [put("n/1", "v"),
                  txn([cmp("n/1", "VALUE", "EQUAL", "v")], [put("n/2", "then")],
                      [put("n/3", "else"), rng("n/", "n0")]),
                  rng("n/", "n0", count_only=True)],
                 [put("n/never", "x")]), rev=34),
        Step("txn nested in failure", "Txn",
             txn([cmp("a", "VERSION", "LESS", 0)], [put("n/never", "x")],
                 [txn([cmp("a", "CREATE", "EQUAL", 2)], [dele("n/", "n0", prev_kv=True)],
                      [put("n/never", "y")]),
                  rng("n/", "n0")]), rev=35),
        Step("txn nested failure branch taken", "Txn",
             txn([], [txn([cmp("a", "VALUE", "EQUAL", "nope")], [put("n/never", "z")],
                          [put("n/4", "4"), txn([cmp("n/4", "VERSION", "EQUAL", 0)],
                                                [rng("n/4")], [rng("a")])])]), rev=36),
        Step("txn nested read-only", "Txn",
             txn([], [txn([], [txn([], [rng("n/", "n0")])])]), rev=36),
        Step("txn same key in success and failure", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "3")], [put("k", "then")], [put("k", "else")]),
             rev=37),
        Step("txn same key in nested then and else", "Txn",
             txn([], [txn([cmp("k", "VALUE", "EQUAL", "then")], [put("k2", "then")],
                          [put("k2", "else")])]), rev=38),
        Step("txn duplicate put", "Txn", txn([], [put("k", "1"), put("k", "2")]), err=E_DUPLICATE),
        Step("txn duplicate put in failure", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "3")], [put("k", "1")],
                 [put("k3", "1"), put("k3", "2")]), err=E_DUPLICATE),
        Step("txn put then delete covering it", "Txn",
             txn([], [put("p/1", "9"), dele("p/", "p0")]), err=E_DUPLICATE),
        Step("txn delete then put inside it", "Txn",
             txn([], [dele("p/", "p0"), put("p/3", "9")]), err=E_DUPLICATE),
        Step("txn delete single then put same key", "Txn",
             txn([], [dele("k"), put("k", "9")]), err=E_DUPLICATE),
        Step("txn put next to deleted range", "Txn",
             txn([], [dele("p/", "p0"), put("p0", "new")]), rev=39),
        Step("txn put inner and outer", "Txn",
             txn([], [put("k", "o"), txn([], [put("k", "i")])]), err=E_DUPLICATE),
        Step("txn inner delete covers outer put", "Txn",
             txn([], [put("k", "o"), txn([], [dele("j", "l")])]), err=E_DUPLICATE),
        Step("txn outer delete covers inner put", "Txn",
             txn([], [dele("j", "l"), txn([], [], [put("k", "i")])]), err=E_DUPLICATE),
        # etcd's overlap check takes a range_end of "\0" literally (only an
        # empty end means +infinity), so a from-key delete overlaps nothing.
        Step("txn from-key delete and inner put", "Txn",
             txn([], [dele("zz", b"\0"), txn([], [put("zzz", "i")])]), rev=40),
        Step("txn from-key delete and put", "Txn",
             txn([], [dele("zz", b"\0"), put("zzz", "o")]), rev=41),
        Step("txn overlapping deletes allowed", "Txn",
             txn([], [dele("s/", "s0", prev_kv=True), dele("s/b", prev_kv=True),
                      rng("s/", "s0")]), rev=42),
        Step("txn too many ops", "Txn",
             txn([], [put(f"o/{i}", "v") for i in range(MAX_TXN_OPS + 1)]), err=E_TOO_MANY_OPS),
        Step("txn too many failure ops", "Txn",
             txn([], [], [rng("a")] * (MAX_TXN_OPS + 1)), err=E_TOO_MANY_OPS),
        Step("txn too many compares", "Txn",
             txn([cmp("a", "VERSION", "GREATER", 0)] * (MAX_TXN_OPS + 1)), err=E_TOO_MANY_OPS),
        Step("txn exactly max ops", "Txn",
             txn([], [put(f"o/{i}", "v") for i in range(MAX_TXN_OPS)]), rev=43),
        # A nested txn may only use what its parent left: max - len(parent
        # ops), the nested txn op itself included (8 - 4 here).
        Step("txn nested too many ops", "Txn",
             txn([], [rng("a"), rng("b"), rng("c"),
                      txn([], [rng(f"o/{i}") for i in range(MAX_TXN_OPS - 3)])]),
             err=E_TOO_MANY_OPS),
        Step("txn nested at op budget", "Txn",
             txn([], [rng("a"), rng("b"), rng("c"),
                      txn([], [rng(f"o/{i}") for i in range(MAX_TXN_OPS - 4)])]), rev=43),
        Step("txn over max-request-bytes", "Txn", txn([], [put("big", BIG)]), err=E_TOO_LARGE),
        Step("txn empty request op", "Txn", txn([], [None]), err=E_KEY_NOT_FOUND),
        Step("txn empty key put op", "Txn", txn([], [put("", "v")]), err=E_EMPTY_KEY),
        Step("txn empty key range op", "Txn", txn([], [], [rng("")]), err=E_EMPTY_KEY),
        Step("txn value provided with ignore_value", "Txn",
             txn([], [put("a", "v", ignore_value=True)]), err=E_VALUE_PROVIDED),
        Step("txn ignore_value on missing key", "Txn",
             txn([], [put("nope", ignore_value=True)]), err=E_KEY_NOT_FOUND),
        # Only the branch the compares select is checked against the store.
        Step("txn ignore_value on missing key in branch not taken", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "3")], [put("a", ignore_value=True)],
                 [put("nope", ignore_value=True)]), rev=44),
        Step("txn nonexistent lease", "Txn", txn([], [put("l", "v", lease=NO_LEASE_ID)]),
             err=E_LEASE_NOT_FOUND),
        Step("txn range future revision", "Txn", txn([], [rng("a", revision=100)]),
             err=E_FUTURE),
        Step("txn range future revision with a write", "Txn",
             txn([], [put("w", "1"), rng("a", revision=100)]), err=E_FUTURE),
        Step("txn range past revision", "Txn",
             txn([], [rng("s/", "s0", revision=20), put("w", "1"), rng("w", revision=44)]), rev=45),
    ]
    return s


def _compactions():
    return [
        Step("compact 5", "Compact", compact(5), rev=45),
        Step("range at compacted revision", "Range", rng("a", revision=4), err=E_COMPACTED),
        Step("range at compact revision", "Range", rng("a", revision=5), rev=45),
        Step("count_only at compacted revision", "Range",
             rng(b"\0", b"\0", revision=3, count_only=True), err=E_COMPACTED),
        Step("compact same revision again", "Compact", compact(5), err=E_COMPACTED),
        Step("compact older revision", "Compact", compact(3), err=E_COMPACTED),
        Step("compact future revision", "Compact", compact(46), err=E_FUTURE),
        Step("compact far future physical", "Compact", compact(1000, physical=True),
             err=E_FUTURE),
        Step("compact 20 physical", "Compact", compact(20, physical=True), rev=45),
        Step("range below physical compaction", "Range", rng("s/", "s0", revision=19),
             err=E_COMPACTED),
        Step("range at physical compaction", "Range", rng(b"\0", b"\0", revision=20), rev=45),
        Step("txn range at compacted revision", "Txn", txn([], [rng("a", revision=10)]),
             err=E_COMPACTED),
        Step("txn compacted range in branch not taken", "Txn",
             txn([cmp("a", "VALUE", "EQUAL", "3")], [rng("a")], [rng("a", revision=10)]), rev=45),
        Step("put after compaction", "Put", put("a", "4", prev_kv=True), rev=46),
        Step("compact current revision", "Compact", compact(46), rev=46),
        Step("range at current after compacting it", "Range", rng(b"\0", b"\0", revision=46),
             rev=46),
        Step("range below current compaction", "Range", rng("a", revision=45), err=E_COMPACTED),
        Step("range negative revision after compaction", "Range", rng("a", revision=-1), rev=46),
        Step("put after compacting current", "Put", put("z", "last"), rev=47),
        Step("final state", "Range", rng(b"\0", b"\0"), rev=47),
    ]


def steps():
    return _puts() + _ranges() + _deletes() + _txns() + _compactions()
