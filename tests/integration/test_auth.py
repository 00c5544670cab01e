"""Authentication and authorization end to end, with python-etcd3 and raw
gRPC: user/password clients, simple-token expiry (and renewal by use), a
user deleted or re-passworded while its token is in use, a permission
revoked during a long watch, auth state surviving kill -9, JWT tokens (RS256,
ES256: revision, restart, expiry) and the HTTP gateway's authenticate route
and Authorization header. test_auth_every_rpc.py calls every RPC without a
token.

Every assertion holds against etcd 3.4 (run without CAIRN_BIN) except where
a test says Cairn is deliberately stricter (the `CAIRN_STRICTER` methods).
"""

import base64
import json
import subprocess
import time
import urllib.error
import urllib.request

import grpc
import pytest

import etcd3

from auth_clients import (ROOT_PW, add_user_with_prefix, auth, authenticate, call, channel,
                          enable_with_root, pb)
from etcd_protos import WatchStream

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")

USER_EMPTY = "etcdserver: user name is empty"
DENIED = "etcdserver: permission denied"
INVALID_TOKEN = "etcdserver: invalid auth token"


def _code(e):
    return e.code().name, e.details()


def _range(ch, key, token=None, range_end=b""):
    return call(ch, "KV", "Range", pb.RangeRequest(key=key, range_end=range_end), "RangeResponse",
                token=token)


def _put(ch, key, value, token=None):
    return call(ch, "KV", "Put", pb.PutRequest(key=key, value=value), "PutResponse", token=token)


def etcd3_client(server, user, password):
    """python-etcd3 with user/password. It sends the token twice: as call
    metadata and as gRPC call credentials, which grpcio refuses on a
    plaintext channel ("Established channel does not have a sufficient
    security level...") before anything reaches the server; the metadata
    alone is what etcd reads, so the credentials are dropped."""
    c = etcd3.client(server.host, server.client_port, user=user, password=password, timeout=10)
    c.call_credentials = None
    c.watcher._credentials = None
    return c


@pytest.fixture
def server(make_server):
    return make_server()


def test_python_etcd3_user_password(server):
    ch = channel(server)
    root = enable_with_root(ch)
    add_user_with_prefix(ch, root, "alice", "alicepw", "app/")
    c = etcd3_client(server, "alice", "alicepw")
    try:
        c.put("app/x", "1")
        value, _ = c.get("app/x")
        assert value == b"1"
        assert [v for v, _ in c.get_prefix("app/")] == [b"1"]
        with pytest.raises(grpc.RpcError) as e:
            c.put("other", "1")
        assert _code(e.value) == ("PERMISSION_DENIED", DENIED)
        with pytest.raises(grpc.RpcError) as e:
            c.get("other")
        assert _code(e.value) == ("PERMISSION_DENIED", DENIED)
        # A transaction touching one denied key is refused whole.
        with pytest.raises(grpc.RpcError):
            c.transaction(compare=[c.transactions.value("app/x") == "1"],
                          success=[c.transactions.put("app/y", "2"),
                                   c.transactions.put("other", "2")], failure=[])
        assert c.get("app/y")[0] is None
    finally:
        c.close()
    with pytest.raises(Exception) as e:
        etcd3_client(server, "alice", "wrong")
    assert "authentication failed" in str(e.value)
    bad = etcd3.client(server.host, server.client_port, timeout=10)
    try:
        with pytest.raises(grpc.RpcError) as e:
            bad.get("app/x")
        assert _code(e.value) == ("INVALID_ARGUMENT", USER_EMPTY)
    finally:
        bad.close()


def test_simple_token_expires_unless_used(make_server):
    server = make_server(extra_args=["--auth-token-ttl=2"])
    ch = channel(server)
    root = enable_with_root(ch)
    kept = authenticate(ch, "root", ROOT_PW)
    for _ in range(4):  # used every second: stays valid past its TTL
        _put(ch, b"k", b"v", token=kept)
        time.sleep(1)
    _range(ch, b"k", token=kept)
    time.sleep(3.5)
    for token in (root, kept):
        with pytest.raises(grpc.RpcError) as e:
            _range(ch, b"k", token=token)
        assert _code(e.value) == ("UNAUTHENTICATED", INVALID_TOKEN)
    assert authenticate(ch, "root", ROOT_PW)


def test_deleted_user_and_changed_password_end_tokens(server):
    ch = channel(server)
    root = enable_with_root(ch)
    add_user_with_prefix(ch, root, "alice", "alicepw", "a/")
    add_user_with_prefix(ch, root, "bob", "bobpw", "b/")
    alice = authenticate(ch, "alice", "alicepw")
    bob = authenticate(ch, "bob", "bobpw")
    _put(ch, b"a/1", b"x", token=alice)
    _put(ch, b"b/1", b"x", token=bob)
    auth(ch, "UserDelete", pb.AuthUserDeleteRequest(name="alice"), root)
    with pytest.raises(grpc.RpcError) as e:
        _put(ch, b"a/2", b"x", token=alice)
    assert _code(e.value) == ("UNAUTHENTICATED", INVALID_TOKEN)
    with pytest.raises(grpc.RpcError) as e:
        authenticate(ch, "alice", "alicepw")
    assert _code(e.value) == ("INVALID_ARGUMENT",
                              "etcdserver: authentication failed, invalid user ID or password")
    auth(ch, "UserChangePassword", pb.AuthUserChangePasswordRequest(name="bob", password="new"),
         root)
    with pytest.raises(grpc.RpcError) as e:
        _put(ch, b"b/2", b"x", token=bob)
    assert _code(e.value) == ("UNAUTHENTICATED", INVALID_TOKEN)
    _put(ch, b"b/2", b"x", token=authenticate(ch, "bob", "new"))


def test_permission_revoked_during_a_long_watch(server):
    """etcd checks a watch when it is created: a watcher keeps its stream
    after its permission is revoked, a new watch on the stream is refused,
    and so is every read and write."""
    ch = channel(server)
    root = enable_with_root(ch)
    role = add_user_with_prefix(ch, root, "alice", "alicepw", "w/", perm="READ")
    alice = authenticate(ch, "alice", "alicepw")
    ws = WatchStream(ch, metadata=[("token", alice)])
    try:
        ws.create(b"w/", range_end=b"w0")
        created = ws.next()
        assert created.created and not created.canceled
        _put(ch, b"w/1", b"a", token=root)
        got = ws.next()
        assert [ev.kv.key for ev in got.events] == [b"w/1"]
        auth(ch, "UserRevokeRole", pb.AuthUserRevokeRoleRequest(name="alice", role=role), root)
        _put(ch, b"w/2", b"b", token=root)
        got = ws.next()
        assert [ev.kv.key for ev in got.events] == [b"w/2"]
        ws.create(b"w/x")
        refused = ws.next()
        assert refused.created and refused.canceled
        assert refused.watch_id == -1
        assert refused.cancel_reason == f"rpc error: code = PermissionDenied desc = {DENIED}"
        with pytest.raises(grpc.RpcError) as e:
            _range(ch, b"w/1", token=authenticate(ch, "alice", "alicepw"))
        assert _code(e.value) == ("PERMISSION_DENIED", DENIED)
    finally:
        ws.cancel()


def test_auth_state_survives_kill_9(make_server, backend):
    server = make_server(backend=backend)
    ch = channel(server)
    root = enable_with_root(ch)
    add_user_with_prefix(ch, root, "alice", "alicepw", "p/")
    auth(ch, "RoleAdd", pb.AuthRoleAddRequest(name="spare"), root)
    ch.close()
    server.kill()
    server.start()
    ch = channel(server)
    with pytest.raises(grpc.RpcError) as e:
        _range(ch, b"p/")
    assert _code(e.value) == ("INVALID_ARGUMENT", USER_EMPTY)
    root = authenticate(ch, "root", ROOT_PW)
    roles = auth(ch, "RoleList", pb.AuthRoleListRequest(), root).roles
    assert list(roles) == ["alice-role", "spare"]
    alice = authenticate(ch, "alice", "alicepw")
    _put(ch, b"p/1", b"x", token=alice)
    with pytest.raises(grpc.RpcError) as e:
        _put(ch, b"q", b"x", token=alice)
    assert _code(e.value) == ("PERMISSION_DENIED", DENIED)
    with pytest.raises(grpc.RpcError) as e:
        authenticate(ch, "alice", "wrong")
    assert e.value.code().name == "INVALID_ARGUMENT"


def _jwt_flags(tmp_path, method="RS256", ttl=None):
    key, pub = tmp_path / "jwt.key", tmp_path / "jwt.pub"
    if method.startswith("ES"):
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                        str(key)], check=True, capture_output=True)
    else:
        subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True,
                       capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True,
                   capture_output=True)
    opts = f"jwt,pub-key={pub},priv-key={key},sign-method={method}"
    if ttl:
        opts += f",ttl={ttl}"
    return [f"--auth-token={opts}"]


@pytest.mark.parametrize("method", ["RS256", "ES256"])
def test_jwt_tokens(make_server, tmp_path, method):
    """JWTs carry the auth revision: a change to the auth store makes older
    tokens "old" until the client authenticates again; they survive a restart
    (nothing to remember). The ttl is long here so that a slow restart on a
    loaded machine cannot expire the token; expiry has its own test."""
    server = make_server(extra_args=_jwt_flags(tmp_path, method, ttl="10m"))
    ch = channel(server)
    root = enable_with_root(ch)
    assert root.count(".") == 2
    add_user_with_prefix(ch, root, "alice", "alicepw", "j/")
    alice = authenticate(ch, "alice", "alicepw")
    _put(ch, b"j/1", b"x", token=alice)
    with pytest.raises(grpc.RpcError) as e:
        _put(ch, b"k", b"x", token=alice)
    assert _code(e.value) == ("PERMISSION_DENIED", DENIED)
    root = authenticate(ch, "root", ROOT_PW)
    auth(ch, "RoleAdd", pb.AuthRoleAddRequest(name="later"), root)
    with pytest.raises(grpc.RpcError) as e:
        _put(ch, b"j/2", b"x", token=alice)
    assert _code(e.value) == ("INVALID_ARGUMENT", "etcdserver: revision of auth store is old")
    alice = authenticate(ch, "alice", "alicepw")
    _put(ch, b"j/2", b"x", token=alice)
    ch.close()
    server.stop()
    server.start()
    ch = channel(server)
    assert _range(ch, b"j/2", token=alice).kvs[0].value == b"x"
    ch.close()


def test_jwt_tokens_expire_after_ttl(make_server, tmp_path):
    """A JWT is refused as invalid once its ttl has passed."""
    server = make_server(extra_args=_jwt_flags(tmp_path, "ES256", ttl="3s"))
    ch = channel(server)
    root = enable_with_root(ch)
    add_user_with_prefix(ch, root, "alice", "alicepw", "j/")
    alice = authenticate(ch, "alice", "alicepw")
    _put(ch, b"j/2", b"x", token=alice)
    assert _range(ch, b"j/2", token=alice).kvs[0].value == b"x"
    time.sleep(3.5)
    with pytest.raises(grpc.RpcError) as e:
        _range(ch, b"j/2", token=alice)
    assert _code(e.value) == ("UNAUTHENTICATED", INVALID_TOKEN)
    ch.close()


def test_http_gateway_authenticate_and_authorization_header(make_server):
    """grpc-gateway JSON: /v3/auth/authenticate answers a token; the
    Authorization header carries it (api-http, opt-in in Cairn)."""
    server = make_server(extra_args=["--plugins=api-http,api-grpc,concurrency,auth"])
    ch = channel(server)
    enable_with_root(ch)
    ch.close()

    def post(path, body, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = token
        req = urllib.request.Request(f"http://127.0.0.1:{server.client_port}{path}",
                                     data=json.dumps(body).encode(), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, body = post("/v3/auth/authenticate", {"name": "root", "password": ROOT_PW})
    assert status == 200 and body["token"]
    token = body["token"]
    key = base64.b64encode(b"h").decode()
    status, _ = post("/v3/kv/put", {"key": key, "value": key}, token)
    assert status == 200
    status, body = post("/v3/kv/range", {"key": key}, token)
    assert status == 200 and body["kvs"][0]["value"] == key
    status, body = post("/v3/kv/range", {"key": key})
    assert status == 400 and body["error"] == USER_EMPTY and body["code"] == 3
    status, body = post("/v3/auth/authenticate", {"name": "root", "password": "wrong"})
    assert status == 400
    assert body["error"] == "etcdserver: authentication failed, invalid user ID or password"
