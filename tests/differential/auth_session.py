"""The etcdctl auth session replayed against etcd 3.4 and against Cairn:
enabling without root, users, roles, key / range / prefix / from-key
permissions, denied reads and writes, txns mixing allowed and denied keys, a
denied watch, a lease revoke touching a denied key, admin calls by a
non-root user, password changes, deletions, disabling and enabling again.

A step is an etcdctl command line run as a user ("name:password", etcdctl's
--user) or as nobody. `{lease}` in an argument is replaced by the lease id a
previous step captured (`capture` reads it from that step's JSON output);
the id itself is normalised away when outputs are compared.

`rc`/`out`/`err` are golden expectations checked against etcd's recording,
so the session keeps testing what it claims even without a Cairn binary.
"""

import json
from dataclasses import dataclass, field
from typing import Callable, Optional

ROOT = "root:rootpw"
ALICE = "alice:alicepw"
BOB = "bob:bobpw"

DENIED = "Error: etcdserver: permission denied"
NO_USER = "Error: etcdserver: user name is empty"
AUTH_FAILED = "etcdserver: authentication failed, invalid user ID or password"
BAD_MGMT = "Error: etcdserver: invalid auth management"


@dataclass
class AuthStep:
    label: str
    args: list = field(default_factory=list)
    user: Optional[str] = None
    stdin: Optional[str] = None
    capture: Optional[Callable] = None  # capture(stdout) -> {name: value}
    rc: Optional[int] = None
    out: Optional[str] = None
    err: Optional[str] = None


def _s(label, *args, user=None, stdin=None, capture=None, rc=None, out=None, err=None):
    return AuthStep(label, list(args), user=user, stdin=stdin, capture=capture, rc=rc, out=out,
                    err=err)


def _lease_id(stdout):
    return {"lease": format(json.loads(stdout)["ID"], "x")}


def steps():
    s = []
    a = s.append
    # --- enabling needs root with the root role ---
    a(_s("enable-without-root", "auth", "enable", rc=1,
         err="Error: etcdserver: root user does not exist"))
    a(_s("add-root", "user", "add", "root:rootpw", rc=0, out="User root created\n"))
    a(_s("put-before-enable", "put", "foo", "bar", rc=0, out="OK\n"))
    a(_s("user-get-root-before", "user", "get", "root", rc=0))
    # etcdctl answers "root user does not have root role" by adding the role,
    # granting it and enabling again.
    a(_s("enable-root-without-role", "auth", "enable", rc=0, out="Authentication Enabled\n"))
    a(_s("enable-again-no-user", "auth", "enable", rc=1, err=NO_USER))
    # --- no identity, wrong identities ---
    a(_s("get-no-user", "get", "foo", rc=1, err=NO_USER))
    a(_s("put-no-user", "put", "foo", "x", rc=1, err=NO_USER))
    a(_s("del-no-user", "del", "foo", rc=1, err=NO_USER))
    a(_s("user-list-no-user", "user", "list", rc=1, err=NO_USER))
    a(_s("wrong-password", "get", "foo", user="root:nope", rc=2, err=AUTH_FAILED))
    a(_s("unknown-user", "get", "foo", user="ghost:x", rc=2, err=AUTH_FAILED))
    a(_s("root-get", "get", "foo", user=ROOT, rc=0, out="foo\nbar\n"))
    a(_s("root-put", "put", "foo", "bar2", user=ROOT, rc=0))
    # --- users and roles ---
    a(_s("add-alice", "user", "add", "alice:alicepw", user=ROOT, rc=0))
    a(_s("add-alice-again", "user", "add", "alice:other", user=ROOT, rc=1,
         err="Error: etcdserver: user name already exists"))
    a(_s("add-bob", "user", "add", "bob:bobpw", user=ROOT, rc=0))
    a(_s("add-carol", "user", "add", "carol:carolpw", user=ROOT, rc=0))
    a(_s("user-list", "user", "list", user=ROOT, rc=0, out="alice\nbob\ncarol\nroot\n"))
    a(_s("add-reader", "role", "add", "reader", user=ROOT, rc=0, out="Role reader created\n"))
    a(_s("add-reader-again", "role", "add", "reader", user=ROOT, rc=1,
         err="Error: etcdserver: role name already exists"))
    a(_s("add-writer", "role", "add", "writer", user=ROOT, rc=0))
    a(_s("add-temp", "role", "add", "temp", user=ROOT, rc=0))
    a(_s("perm-key", "role", "grant-permission", "reader", "read", "foo", user=ROOT, rc=0))
    a(_s("perm-prefix", "role", "grant-permission", "reader", "read", "app/", "--prefix",
         user=ROOT, rc=0))
    a(_s("perm-range", "role", "grant-permission", "writer", "readwrite", "k1", "k5", user=ROOT,
         rc=0))
    a(_s("perm-from-key", "role", "grant-permission", "writer", "write", "z", "--from-key",
         user=ROOT, rc=0))
    a(_s("perm-update-type", "role", "grant-permission", "temp", "read", "t", user=ROOT, rc=0))
    a(_s("perm-update-type-2", "role", "grant-permission", "temp", "readwrite", "t", user=ROOT,
         rc=0))
    a(_s("perm-unknown-role", "role", "grant-permission", "nosuch", "read", "x", user=ROOT, rc=1,
         err="Error: etcdserver: role name not found"))
    a(_s("role-get-reader", "role", "get", "reader", user=ROOT, rc=0))
    a(_s("role-get-writer", "role", "get", "writer", user=ROOT, rc=0))
    a(_s("role-get-temp", "role", "get", "temp", user=ROOT, rc=0))
    a(_s("role-get-missing", "role", "get", "nosuch", user=ROOT, rc=1,
         err="Error: etcdserver: role name not found"))
    a(_s("role-list", "role", "list", user=ROOT, rc=0, out="reader\nroot\ntemp\nwriter\n"))
    a(_s("grant-alice-reader", "user", "grant-role", "alice", "reader", user=ROOT, rc=0))
    a(_s("grant-alice-reader-again", "user", "grant-role", "alice", "reader", user=ROOT, rc=0))
    a(_s("grant-missing-role", "user", "grant-role", "alice", "nosuch", user=ROOT, rc=1,
         err="Error: etcdserver: role name not found"))
    a(_s("grant-missing-user", "user", "grant-role", "ghost", "reader", user=ROOT, rc=1,
         err="Error: etcdserver: user name not found"))
    a(_s("grant-bob-writer", "user", "grant-role", "bob", "writer", user=ROOT, rc=0))
    a(_s("grant-carol-temp", "user", "grant-role", "carol", "temp", user=ROOT, rc=0))
    a(_s("user-get-alice", "user", "get", "alice", user=ROOT, rc=0))
    a(_s("user-get-bob-detail", "user", "get", "bob", "--detail", user=ROOT, rc=0))
    a(_s("user-get-missing", "user", "get", "ghost", user=ROOT, rc=1,
         err="Error: etcdserver: user name not found"))
    # --- key permissions ---
    a(_s("alice-get-foo", "get", "foo", user=ALICE, rc=0, out="foo\nbar2\n"))
    a(_s("alice-put-foo", "put", "foo", "x", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-get-other", "get", "secret", user=ALICE, rc=1, err=DENIED))
    a(_s("root-put-app", "put", "app/one", "1", user=ROOT, rc=0))
    a(_s("alice-get-prefix", "get", "app/", "--prefix", user=ALICE, rc=0,
         out="app/one\n1\n"))
    a(_s("alice-get-wider-prefix", "get", "app", "--prefix", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-get-from-key", "get", "app/", "--from-key", user=ALICE, rc=1, err=DENIED))
    a(_s("bob-put-k2", "put", "k2", "v2", user=BOB, rc=0))
    a(_s("bob-put-k4", "put", "k4", "v4", user=BOB, rc=0))
    a(_s("bob-put-k5", "put", "k5", "v5", user=BOB, rc=1, err=DENIED))
    a(_s("bob-get-range", "get", "k1", "k5", user=BOB, rc=0, out="k2\nv2\nk4\nv4\n"))
    a(_s("bob-get-wider-range", "get", "k1", "k6", user=BOB, rc=1, err=DENIED))
    a(_s("bob-put-from-key", "put", "zebra", "1", user=BOB, rc=0))
    a(_s("bob-put-from-key-2", "put", "zzz", "1", user=BOB, rc=0))
    a(_s("bob-get-write-only", "get", "zebra", user=BOB, rc=1, err=DENIED))
    a(_s("bob-put-prev-kv-write-only", "put", "zebra", "2", "--prev-kv", user=BOB, rc=1,
         err=DENIED))
    a(_s("carol-put-t", "put", "t", "1", user="carol:carolpw", rc=0))
    a(_s("carol-get-t", "get", "t", user="carol:carolpw", rc=0, out="t\n1\n"))
    # --- transactions ---
    a(_s("bob-txn-allowed", "txn", user=BOB,
         stdin='value("k2") = "v2"\n\nput k3 v3\n\nget k4\n\n', rc=0))
    a(_s("bob-txn-denied-success", "txn", user=BOB,
         stdin='value("k2") = "v2"\n\nput k3 v3\nput foo x\n\n\n', rc=1, err=DENIED))
    a(_s("bob-txn-denied-failure-branch", "txn", user=BOB,
         stdin='value("k2") = "v2"\n\nput k3 v3\n\nput secret x\n\n', rc=1, err=DENIED))
    a(_s("bob-txn-denied-compare", "txn", user=BOB,
         stdin='value("secret") = "x"\n\nput k3 v3\n\n\n', rc=1, err=DENIED))
    a(_s("bob-get-k3-unchanged", "get", "k3", user=BOB, rc=0))
    # --- watch ---
    a(_s("alice-watch-denied", "watch", "secret", user=ALICE))
    a(_s("alice-watch-prefix-denied", "watch", "app", "--prefix", user=ALICE))
    # --- leases ---
    a(_s("root-lease-grant", "lease", "grant", "600", "-w", "json", user=ROOT, rc=0,
         capture=_lease_id))
    a(_s("root-put-k1-lease", "put", "k1", "leased", "--lease={lease}", user=ROOT, rc=0))
    a(_s("root-put-secret-lease", "put", "secret", "leased", "--lease={lease}", user=ROOT, rc=0))
    a(_s("bob-revoke-denied", "lease", "revoke", "{lease}", user=BOB, rc=1,
         err="Error: failed to revoke lease (etcdserver: permission denied)"))
    a(_s("alice-revoke-denied", "lease", "revoke", "{lease}", user=ALICE, rc=1,
         err="Error: failed to revoke lease (etcdserver: permission denied)"))
    a(_s("bob-attach-denied", "put", "k2", "x", "--lease={lease}", user=BOB, rc=1, err=DENIED))
    a(_s("root-revoke", "lease", "revoke", "{lease}", user=ROOT, rc=0))
    a(_s("root-get-secret-gone", "get", "secret", user=ROOT, rc=0, out=""))
    # --- admin calls by a non-root user ---
    a(_s("alice-user-add", "user", "add", "eve:x", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-user-list", "user", "list", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-role-list", "role", "list", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-get-self", "user", "get", "alice", user=ALICE, rc=0))
    a(_s("alice-get-root", "user", "get", "root", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-get-own-role", "role", "get", "reader", user=ALICE, rc=0))
    a(_s("alice-get-other-role", "role", "get", "writer", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-auth-disable", "auth", "disable", user=ALICE, rc=1, err=DENIED))
    a(_s("alice-defrag", "defrag", user=ALICE, rc=1))
    # --- revoking, passwords, deleting ---
    a(_s("revoke-alice-reader", "user", "revoke-role", "alice", "reader", user=ROOT, rc=0))
    a(_s("revoke-alice-reader-again", "user", "revoke-role", "alice", "reader", user=ROOT, rc=1,
         err="Error: etcdserver: role is not granted to the user"))
    a(_s("alice-get-after-revoke", "get", "foo", user=ALICE, rc=1, err=DENIED))
    a(_s("revoke-perm", "role", "revoke-permission", "writer", "k1", "k5", user=ROOT, rc=0))
    a(_s("revoke-perm-again", "role", "revoke-permission", "writer", "k1", "k5", user=ROOT,
         rc=1, err="Error: etcdserver: permission is not granted to the role"))
    a(_s("bob-put-after-revoke", "put", "k2", "x", user=BOB, rc=1, err=DENIED))
    a(_s("bob-passwd", "user", "passwd", "bob", "--interactive=false", user=ROOT,
         stdin="newbobpw\n", rc=0))
    a(_s("bob-old-password", "put", "zebra", "3", user=BOB, rc=2, err=AUTH_FAILED))
    a(_s("bob-new-password", "put", "zebra", "3", user="bob:newbobpw", rc=0))
    a(_s("delete-temp-role", "role", "delete", "temp", user=ROOT, rc=0))
    a(_s("carol-after-role-delete", "get", "t", user="carol:carolpw", rc=1, err=DENIED))
    a(_s("carol-roles-after-role-delete", "user", "get", "carol", user=ROOT, rc=0))
    a(_s("delete-bob", "user", "delete", "bob", user=ROOT, rc=0, out="User bob deleted\n"))
    a(_s("delete-bob-again", "user", "delete", "bob", user=ROOT, rc=1,
         err="Error: etcdserver: user name not found"))
    a(_s("bob-deleted", "put", "zebra", "4", user="bob:newbobpw", rc=2, err=AUTH_FAILED))
    a(_s("delete-root", "user", "delete", "root", user=ROOT, rc=1, err=BAD_MGMT))
    a(_s("delete-root-role", "role", "delete", "root", user=ROOT, rc=1, err=BAD_MGMT))
    a(_s("revoke-root-role", "user", "revoke-role", "root", "root", user=ROOT, rc=1,
         err=BAD_MGMT))
    # --- disabling ---
    a(_s("disable", "auth", "disable", user=ROOT, rc=0, out="Authentication Disabled\n"))
    a(_s("get-after-disable", "get", "foo", rc=0, out="foo\nbar2\n"))
    a(_s("user-list-after-disable", "user", "list", rc=0, out="alice\ncarol\nroot\n"))
    a(_s("with-user-after-disable", "get", "foo", user=ROOT, rc=0))
    a(_s("revoke-root-role-disabled", "user", "revoke-role", "root", "root", rc=0))
    # The root role exists now: etcdctl's RoleAdd fails and it gives up.
    a(_s("enable-without-root-role", "auth", "enable", rc=1,
         err="Error: etcdserver: role name already exists"))
    a(_s("root-role-again", "user", "grant-role", "root", "root", rc=0))
    a(_s("enable-again", "auth", "enable", rc=0))
    a(_s("get-no-user-again", "get", "foo", rc=1, err=NO_USER))
    a(_s("disable-again", "auth", "disable", user=ROOT, rc=0))
    return s
