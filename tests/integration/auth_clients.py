"""Raw gRPC helpers for the auth tests: calls with a token in the metadata,
and setting a server up with root and users (through the Auth service)."""

import grpc

from etcd_protos import electionpb, lockpb, pb

ROOT_PW = "rootpw"


def channel(server):
    return grpc.insecure_channel(f"127.0.0.1:{server.client_port}")


def call(ch, service, method, request, response_type, token=None, package=None, timeout=10):
    package = package or pb
    fn = ch.unary_unary(f"/{package._package}.{service}/{method}",
                        request_serializer=lambda m: m.SerializeToString(),
                        response_deserializer=getattr(package, response_type).FromString)
    metadata = [("token", token)] if token else None
    return fn(request, timeout=timeout, metadata=metadata)


def authenticate(ch, name, password):
    return call(ch, "Auth", "Authenticate", pb.AuthenticateRequest(name=name, password=password),
                "AuthenticateResponse").token


def auth(ch, method, request, token=None):
    """An Auth service call: AuthUserAdd -> UserAdd with AuthUserAddRequest."""
    req_type = type(request).DESCRIPTOR.name
    resp_type = req_type.replace("Request", "Response")
    return call(ch, "Auth", method, request, resp_type, token=token)


def enable_with_root(ch):
    """root (with the root role) and auth on; returns root's token."""
    auth(ch, "UserAdd", pb.AuthUserAddRequest(name="root", password=ROOT_PW))
    auth(ch, "UserGrantRole", pb.AuthUserGrantRoleRequest(user="root", role="root"))
    auth(ch, "AuthEnable", pb.AuthEnableRequest())
    return authenticate(ch, "root", ROOT_PW)


def add_user_with_prefix(ch, root_token, user, password, prefix, perm="READWRITE"):
    """`user` with a role `<user>-role` granting `perm` on `prefix`."""
    role = f"{user}-role"
    auth(ch, "UserAdd", pb.AuthUserAddRequest(name=user, password=password), root_token)
    auth(ch, "RoleAdd", pb.AuthRoleAddRequest(name=role), root_token)
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    perm_msg = pb.AuthRoleGrantPermissionRequest(name=role)
    perm_msg.perm.key = prefix.encode()
    perm_msg.perm.range_end = end.encode()
    perm_msg.perm.permType = {"READ": 0, "WRITE": 1, "READWRITE": 2}[perm]
    auth(ch, "RoleGrantPermission", perm_msg, root_token)
    auth(ch, "UserGrantRole", pb.AuthUserGrantRoleRequest(user=user, role=role), root_token)
    return role


__all__ = ["channel", "call", "authenticate", "auth", "enable_with_root", "add_user_with_prefix",
           "pb", "lockpb", "electionpb", "ROOT_PW"]
