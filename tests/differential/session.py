"""The scripted client session replayed against etcd 3.4 and against Cairn.

Each step is a Step: an etcdctl command line (optionally with stdin for
`txn -i` and the protobuf message type printed by `-w protobuf`), or a raw
gRPC call built with python-etcd3's generated stubs where etcdctl cannot
express the request (etcdctl 3.4 panics on `lease("k") = "0"` compares: it
hands a string to clientv3.Compare, which wants an int).

Servers run with SERVER_FLAGS so the limits are easy to hit. Revisions in
the comments assume a fresh server (first write = revision 2).

`golden` holds what etcd 3.4 is known to answer for a subset of the steps;
it is checked against the etcd recording so the session keeps testing what
it claims to test even when no Cairn binary is available.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

from etcd3.etcdrpc import rpc_pb2

SERVER_FLAGS = ["--max-txn-ops=4", "--max-request-bytes=1024", "--snapshot-count=10000"]

BIG_VALUE = "x" * 2000  # > --max-request-bytes, < the gRPC limit (+512 KiB)


@dataclass
class Step:
    label: str
    args: list = field(default_factory=list)
    stdin: Optional[str] = None
    pb: Optional[str] = None  # rpc_pb2 message name printed by -w protobuf
    grpc: Optional[Callable] = None  # grpc(kv_stub) -> response message
    # golden expectations (checked on the etcd run):
    rc: Optional[int] = None
    out: Optional[str] = None  # exact normalised stdout
    err: Optional[str] = None  # substring of stderr


def _ctl(label, *args, stdin=None, pb=None, rc=None, out=None, err=None):
    return Step(label, list(args), stdin=stdin, pb=pb, rc=rc, out=out, err=err)


def _lease_txn(key, result, lease, then_key):
    """Txn: if lease(key) <result> lease then put then_key=ok else get key."""

    def call(stub):
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
        return stub.Txn(req, timeout=10)

    return call


def _count_only(key, range_end, limit=0):
    def call(stub):
        req = rpc_pb2.RangeRequest(key=key, range_end=range_end, count_only=True, limit=limit)
        return stub.Range(req, timeout=10)

    return call


# `txn -i` prints its prompts on stdout before the result.
TXN_PROMPTS = ("compares:\nsuccess requests (get, put, del):\n"
               "failure requests (get, put, del):\n")

EQ = rpc_pb2.Compare.EQUAL
GT = rpc_pb2.Compare.GREATER


def steps():
    s = [
        # ---- put and its flags
        _ctl("put empty key", "put", "", "v", rc=1, err="Error: etcdserver: key is not provided"),
        _ctl("put a", "put", "a", "1", rc=0, out="OK\n"),  # rev 2
        _ctl("put b", "put", "b", "30", rc=0, out="OK\n"),  # rev 3
        _ctl("put c", "put", "c", "2", rc=0),  # rev 4
        _ctl("put --prev-kv", "put", "a", "4", "--prev-kv", rc=0, out="OK\na\n1\n"),  # rev 5
        _ctl("put -w json", "put", "d", "0", "-w", "json", rc=0,
             out='{"header":{"cluster_id":<ID>,"member_id":<ID>,"revision":6,"raft_term":<TERM>}}\n'),
        _ctl("put --prev-kv -w fields", "put", "d", "5", "--prev-kv", "-w", "fields", rc=0),  # rev 7
        _ctl("put --ignore-value", "put", "b", "--ignore-value", rc=0, out="OK\n"),  # rev 8
        _ctl("get after ignore-value", "get", "b", "-w", "json", rc=0),
        _ctl("put --ignore-value on missing key", "put", "missing", "--ignore-value", rc=1,
             err="Error: etcdserver: key not found"),
        _ctl("put --ignore-lease", "put", "c", "9", "--ignore-lease", rc=0),  # rev 9
        _ctl("put --ignore-value --prev-kv", "put", "c", "--ignore-value", "--prev-kv", rc=0,
             out="OK\nc\n9\n"),  # rev 10
        _ctl("put --ignore-lease on missing key", "put", "nokey", "v", "--ignore-lease", rc=1,
             err="Error: etcdserver: key not found"),
        _ctl("put --lease missing lease", "put", "x1", "v", "--lease=1234abcd", rc=1,
             err="Error: etcdserver: requested lease not found"),
        _ctl("put too large", "put", "big", BIG_VALUE, rc=1,
             err="Error: etcdserver: request is too large"),
        _ctl("put -w protobuf", "put", "p/1", "z", "-w", "protobuf", pb="PutResponse", rc=0),  # 11
        _ctl("put p/2", "put", "p/2", "y", rc=0),  # rev 12
        _ctl("put p/3 --prev-kv -w json", "put", "p/3", "x", "--prev-kv", "-w", "json", rc=0),  # 13
        # ---- sort fixtures: no ties on any sort target
        _ctl("put s/c", "put", "s/c", "aa", rc=0),  # 14
        _ctl("put s/a", "put", "s/a", "zz", rc=0),  # 15
        _ctl("put s/b", "put", "s/b", "m1", rc=0),  # 16
        _ctl("put s/c again", "put", "s/c", "aa", rc=0),  # 17
        _ctl("put s/b again", "put", "s/b", "m2", rc=0),  # 18
        _ctl("put s/b third", "put", "s/b", "mm", rc=0),  # 19
        _ctl("put s/b fourth", "put", "s/b", "mm", rc=0),  # 20
        _ctl("put s/c third", "put", "s/c", "aa", rc=0),  # 21
        # ---- get
        _ctl("get a", "get", "a", rc=0, out="a\n4\n"),
        _ctl("get missing", "get", "nothing-here", rc=0, out=""),
        _ctl("get --prefix", "get", "p/", "--prefix", rc=0, out="p/1\nz\np/2\ny\np/3\nx\n"),
        _ctl("get --from-key", "get", "d", "--from-key", "--keys-only", rc=0,
             out="d\n\np/1\n\np/2\n\np/3\n\ns/a\n\ns/b\n\ns/c\n\n"),
        _ctl("get range [b, d)", "get", "b", "d", rc=0, out="b\n30\nc\n9\n"),
        _ctl("get --rev old", "get", "a", "--rev=2", rc=0, out="a\n1\n"),
        _ctl("get --rev -w json", "get", "a", "--rev=4", "-w", "json", rc=0),
        _ctl("get --limit -w json", "get", "p/", "--prefix", "--limit=2", "-w", "json", rc=0),
        _ctl("get --limit -w fields", "get", "s/", "--prefix", "--limit=1", "-w", "fields", rc=0),
        _ctl("sort KEY DESCEND", "get", "s/", "--prefix", "--sort-by=KEY", "--order=DESCEND",
             "--keys-only", rc=0, out="s/c\n\ns/b\n\ns/a\n\n"),
        _ctl("sort KEY ASCEND", "get", "s/", "--prefix", "--sort-by=KEY", "--order=ASCEND",
             "--keys-only", rc=0, out="s/a\n\ns/b\n\ns/c\n\n"),
        _ctl("sort VERSION", "get", "s/", "--prefix", "--sort-by=VERSION", "--keys-only", rc=0,
             out="s/a\n\ns/c\n\ns/b\n\n"),
        _ctl("sort VERSION DESCEND", "get", "s/", "--prefix", "--sort-by=VERSION",
             "--order=DESCEND", "-w", "json", rc=0),
        _ctl("sort CREATE", "get", "s/", "--prefix", "--sort-by=CREATE", "--keys-only", rc=0,
             out="s/c\n\ns/a\n\ns/b\n\n"),
        _ctl("sort CREATE DESCEND", "get", "s/", "--prefix", "--sort-by=CREATE",
             "--order=DESCEND", "--keys-only", rc=0, out="s/b\n\ns/a\n\ns/c\n\n"),
        _ctl("sort MODIFY", "get", "s/", "--prefix", "--sort-by=MODIFY", "--keys-only", rc=0,
             out="s/a\n\ns/b\n\ns/c\n\n"),
        _ctl("sort MODIFY DESCEND limit", "get", "s/", "--prefix", "--sort-by=MODIFY",
             "--order=DESCEND", "--limit=2", "--keys-only", rc=0, out="s/c\n\ns/b\n\n"),
        _ctl("sort VALUE", "get", "s/", "--prefix", "--sort-by=VALUE", rc=0,
             out="s/c\naa\ns/b\nmm\ns/a\nzz\n"),
        _ctl("sort VALUE DESCEND", "get", "s/", "--prefix", "--sort-by=VALUE", "--order=DESCEND",
             "--print-value-only", rc=0, out="zz\nmm\naa\n"),
        _ctl("get --keys-only -w json", "get", "p/", "--prefix", "--keys-only", "-w", "json", rc=0),
        # etcdctl 3.4 has no --count-only flag (3.5 added it): raw Range.
        Step("Range count_only all keys", grpc=_count_only(b"\0", b"\0"), rc=0),
        Step("Range count_only prefix with limit", grpc=_count_only(b"p/", b"p0", limit=1), rc=0,
             out="header {\n  cluster_id: <ID>\n  member_id: <ID>\n  revision: 21\n"
                 "  raft_term: <TERM>\n}\ncount: 3\n"),  # count_only: no "more"
        _ctl("get --print-value-only", "get", "b", "--print-value-only", rc=0, out="30\n"),
        _ctl("get --consistency=s", "get", "a", "--consistency=s", rc=0, out="a\n4\n"),
        _ctl("get --consistency=l", "get", "a", "--consistency=l", "-w", "fields", rc=0),
        _ctl("get -w simple", "get", "d", "-w", "simple", rc=0, out="d\n5\n"),
        _ctl("get -w protobuf", "get", "s/", "--prefix", "-w", "protobuf", pb="RangeResponse", rc=0),
        _ctl("get --rev future", "get", "a", "--rev=1000", rc=1,
             err="Error: etcdserver: mvcc: required revision is a future revision"),
        # ---- txn -i
        _ctl("txn success value+version", "txn", "-i",
             stdin='value("a") = "4"\nversion("a") = "2"\n\nput a 5\nget a\n\nput a bad\n\n',
             rc=0, out=TXN_PROMPTS + "SUCCESS\n\nOK\n\na\n5\n"),  # rev 22
        _ctl("txn failure create+mod", "txn", "-i",
             stdin='create("b") = "3"\nmod("b") > "100"\n\nput b never\n\nget b\nput t/1 f\n\n',
             rc=0, out=TXN_PROMPTS + "FAILURE\n\nb\n30\n\nOK\n"),  # rev 23
        _ctl("txn success create<, mod= -w json", "txn", "-i", "-w", "json",
             stdin='create("c") < "5"\nmod("c") = "10"\n\ndel c --prev-kv\nget c\n\nget a\n\n',
             rc=0),  # rev 24
        _ctl("txn value > and version < -w fields", "txn", "-i", "-w", "fields",
             stdin='value("d") > "4"\nversion("d") < "2"\n\nput d ok\n\ndel d --prev-kv\n\n',
             rc=0),  # failure: version(d)=2 -> rev 25, d deleted
        _ctl("txn on missing key version=0", "txn", "-i",
             stdin='version("new") = "0"\n\nput new n1\nput new2 n2\n\n\n',
             rc=0, out=TXN_PROMPTS + "SUCCESS\n\nOK\n\nOK\n"),  # rev 26
        _ctl("txn -w protobuf", "txn", "-i", "-w", "protobuf", pb="TxnResponse",
             stdin='value("new") != "n1"\n\n\nget new\nget p/ --prefix\n\n', rc=0),
        _ctl("txn get-only no bump", "get", "a", "-w", "json", rc=0),
        _ctl("txn duplicate put", "txn", "-i", stdin="\nput a 1\nput a 2\n\n\n", rc=1,
             err="Error: etcdserver: duplicate key given in txn request"),
        _ctl("txn put+del overlapping", "txn", "-i", stdin="\nput p/2 1\ndel p/ --prefix\n\n\n",
             rc=1, err="Error: etcdserver: duplicate key given in txn request"),
        _ctl("txn too many ops", "txn", "-i",
             stdin="\nput t/1 1\nput t/2 2\nput t/3 3\nput t/4 4\nput t/5 5\n\n\n", rc=1,
             err="Error: etcdserver: too many operations in txn request"),
        _ctl("txn exactly max ops", "txn", "-i",
             stdin="\nput t/1 1\nput t/2 2\nput t/3 3\nput t/4 4\n\n\n", rc=0,
             out=TXN_PROMPTS + "SUCCESS\n\nOK\n\nOK\n\nOK\n\nOK\n"),  # rev 27
        _ctl("txn too large", "txn", "-i", stdin=f"\nput t/big {BIG_VALUE}\n\n\n", rc=1,
             err="Error: etcdserver: request is too large"),
        Step("txn lease(s/a) = 0", grpc=_lease_txn("s/a", EQ, 0, "l/yes"), rc=0,
             out="header {\n  cluster_id: <ID>\n  member_id: <ID>\n  revision: 28\n"
                 "  raft_term: <TERM>\n}\nsucceeded: true\nresponses {\n  response_put {\n"
                 "    header {\n      revision: 28\n    }\n  }\n}\n"),
        Step("txn lease(s/a) > 0", grpc=_lease_txn("s/a", GT, 0, "l/no"), rc=0),
        # A missing key compares as lease 0.
        Step("txn lease(missing) = 0", grpc=_lease_txn("l/none", EQ, 0, "l/none-yes"), rc=0),  # 29
        # ---- delete
        _ctl("del missing no bump", "del", "nothing-here", rc=0, out="0\n"),
        _ctl("revision unchanged", "get", "a", "-w", "json", rc=0),
        _ctl("del --prev-kv", "del", "p/1", "--prev-kv", rc=0, out="1\np/1\nz\n"),  # 30
        _ctl("del --prefix -w json", "del", "t/", "--prefix", "-w", "json", rc=0),  # 31
        _ctl("del --prefix --prev-kv", "del", "p/", "--prefix", "--prev-kv", rc=0,
             out="2\np/2\ny\np/3\nx\n"),  # 32
        _ctl("del --from-key -w protobuf", "del", "s/b", "--from-key", "-w", "protobuf",
             pb="DeleteRangeResponse", rc=0),  # 33
        _ctl("all keys after deletes", "get", "", "--from-key", rc=0),
        # ---- compaction
        _ctl("compaction", "compaction", "10", rc=0, out="compacted revision 10\n"),
        _ctl("get compacted rev", "get", "a", "--rev=9", rc=1,
             err="Error: etcdserver: mvcc: required revision has been compacted"),
        _ctl("get at compact rev", "get", "a", "--rev=10", rc=0, out="a\n4\n"),
        _ctl("compaction --physical", "compaction", "20", "--physical", rc=0,
             out="compacted revision 20\n"),
        _ctl("get compacted rev after physical", "get", "s/", "--prefix", "--rev=19", rc=1,
             err="Error: etcdserver: mvcc: required revision has been compacted"),
        _ctl("get at physical compact rev", "get", "s/", "--prefix", "--rev=20", "-w", "json",
             rc=0),
        _ctl("compaction older rev", "compaction", "15", rc=1,
             err="Error: etcdserver: mvcc: required revision has been compacted"),
        _ctl("compaction future rev", "compaction", "5000", rc=1,
             err="Error: etcdserver: mvcc: required revision is a future revision"),
        _ctl("final state", "get", "", "--from-key", "-w", "json", rc=0),
        # ---- the Cluster service (MemberList) through the kernel's Cluster facet
        _ctl("member list -w json", "member", "list", "-w", "json", rc=0),
        _ctl("member list -w fields", "member", "list", "-w", "fields", rc=0),
    ]
    return s
